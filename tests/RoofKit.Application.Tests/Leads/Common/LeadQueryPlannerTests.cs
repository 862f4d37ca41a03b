using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Common;
using RoofKit.Domain.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Application.Tests.Leads.Common;

/// <summary>The sync window and the cursor's part in it (CONTRACT.md §6), without a database.</summary>
public sealed class LeadQueryPlannerTests
{
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 5, 4, 12, 0, 0, 987, TimeSpan.Zero).AddTicks(6543);
    private static readonly Guid Workspace = Guid.NewGuid();
    private static readonly RoofKitMetrics Metrics =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    private readonly LeadCursorProtector protector = new(Options.Create(new CursorOptions { SigningKey = new string('k', 40) }));
    private TestClock clock = null!;
    private FixedHorizon horizon = null!;
    private RecordingLogger<SyncWatermark> logger = null!;

    [SetUp]
    public void ResetClock()
    {
        clock = new TestClock(Now);
        // The database's clock agrees with the API's, and no other transaction is open.
        horizon = new FixedHorizon(new SyncHorizon(Now.UtcDateTime, null, null));
        logger = new RecordingLogger<SyncWatermark>();
    }

    [Test]
    public void ShouldEndTheWindowTheSettleLagBeforeNowToTheMillisecond()
    {
        var plan = Planner(settleLagSeconds: 5).Plan(LeadQueryRequests.Parse(""), 50, 200);

        plan.Watermark.Should().Be(new DateTime(2026, 5, 4, 11, 59, 55, 987, DateTimeKind.Utc));
        plan.Slice.UpTo.Should().Be(plan.Watermark);
        plan.Slice.After.Should().BeNull();
        plan.Slice.Limit.Should().Be(50);
        plan.Slice.WorkspaceId.Should().Be(Workspace);
    }

    [Test]
    public void ShouldUseTheDefaultSettleLagOf5Seconds()
    {
        var planner = Create(Workspace, new SyncOptions());

        planner.Plan(LeadQueryRequests.Parse(""), 50, 200).Watermark
            .Should().Be(new DateTime(2026, 5, 4, 11, 59, 55, 987, DateTimeKind.Utc));
    }

    [Test]
    public void ShouldConfigureASettleLagOf5SecondsWhenTheSyncSectionIsMissing()
    {
        using var services = new ServiceCollection()
            .AddApplicationServices(new ConfigurationBuilder().Build())
            .BuildServiceProvider();

        services.GetRequiredService<IOptions<SyncOptions>>().Value.SettleLagSeconds.Should().Be(5);
    }

    [Test]
    public void ShouldEndTheWindowAtToWhenToIsEarlier()
    {
        var plan = Planner().Plan(LeadQueryRequests.Parse("to=2026-05-01T08:00:00.123456Z&limit=7"), 50, 200);

        // Exactly to, not cut to the millisecond: to is inclusive, so a lead updated at .123456 is in the window.
        plan.Watermark.Should().Be(new DateTime(2026, 5, 1, 8, 0, 0, 123, DateTimeKind.Utc).AddTicks(4560));
        plan.Slice.UpTo.Should().Be(plan.Watermark);
        plan.Slice.Limit.Should().Be(7);
    }

    [Test]
    public void ShouldIgnoreAToLaterThanTheSettledTime()
    {
        var plan = Planner(settleLagSeconds: 5).Plan(LeadQueryRequests.Parse("to=2030-01-01T00:00:00Z"), 50, 200);

        plan.Watermark.Should().Be(new DateTime(2026, 5, 4, 11, 59, 55, 987, DateTimeKind.Utc));
    }

    [Test]
    public void ShouldKeepTheFirstPagesWindowForEveryLaterPage()
    {
        var planner = Planner(settleLagSeconds: 5);
        var first = planner.Plan(LeadQueryRequests.Parse("source=google"), 50, 200);
        var position = new KeysetPosition(new DateTime(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(10), Guid.NewGuid());
        var cursor = planner.NextCursor(first, position);

        clock.Advance(TimeSpan.FromHours(3));
        var second = planner.Plan(LeadQueryRequests.Parse($"cursor={cursor}"), 50, 200);

        second.Watermark.Should().Be(first.Watermark);
        second.Slice.UpTo.Should().Be(first.Watermark);
        second.Slice.After.Should().Be(position);
        second.Slice.Filter.Should().Be(first.Slice.Filter, "a cursor alone brings its filters");
    }

    [Test]
    public void ShouldAcceptACursorWithItsOwnFiltersRepeated()
    {
        var planner = Planner();
        var first = planner.Plan(LeadQueryRequests.Parse("source=google&search=smith"), 50, 200);
        var cursor = planner.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));

        var second = planner.Plan(LeadQueryRequests.Parse($"cursor={cursor}&source=Google&limit=3"), 50, 200);

        second.Slice.Filter.Should().Be(first.Slice.Filter);
        second.Slice.Limit.Should().Be(3);
    }

    [Test]
    public void ShouldRejectACursorWithOtherFilters()
    {
        var planner = Planner();
        var first = planner.Plan(LeadQueryRequests.Parse("source=google"), 50, 200);
        var cursor = planner.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));

        planner.Invoking(p => p.Plan(LeadQueryRequests.Parse($"cursor={cursor}&source=facebook"), 50, 200))
            .Should().Throw<InvalidCursorException>();
        planner.Invoking(p => p.Plan(LeadQueryRequests.Parse($"cursor={cursor}&medium=cpc"), 50, 200))
            .Should().Throw<InvalidCursorException>();
    }

    [Test]
    public void ShouldRejectACursorOfAnotherWorkspace()
    {
        var other = Create(Guid.NewGuid(), new SyncOptions());
        var first = other.Plan(LeadQueryRequests.Parse(""), 50, 200);
        var cursor = other.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));

        Planner().Invoking(p => p.Plan(LeadQueryRequests.Parse($"cursor={cursor}"), 50, 200))
            .Should().Throw<InvalidCursorException>();
    }

    private LeadQueryPlanner Planner(double settleLagSeconds = 0) =>
        Create(Workspace, new SyncOptions { SettleLagSeconds = settleLagSeconds });

    private LeadQueryPlanner Create(Guid workspaceId, SyncOptions options) =>
        new(new CurrentKey(workspaceId), protector, new SyncWatermark(horizon, Options.Create(options), clock, logger, Metrics));

    [Test]
    public void ShouldStayBehindTheOldestOpenTransactionToTheMillisecond()
    {
        var started = Now.UtcDateTime.AddMinutes(-2).AddTicks(4321);
        horizon = new FixedHorizon(new SyncHorizon(Now.UtcDateTime, started, 4242));

        Planner(settleLagSeconds: 5).Plan(LeadQueryRequests.Parse(""), 50, 200).Watermark
            .Should().Be(new DateTime(started.Ticks - (started.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc));
        logger.Warnings.Should().BeEmpty("two minutes is below the 300 s warning threshold");
    }

    [Test]
    public void ShouldNeverPassTheDatabasesClock()
    {
        horizon = new FixedHorizon(new SyncHorizon(Now.UtcDateTime.AddMinutes(-1), null, null));

        Planner(settleLagSeconds: 5).Plan(LeadQueryRequests.Parse(""), 50, 200).Watermark
            .Should().Be(Now.UtcDateTime.AddMinutes(-1).AddTicks(-6543));
    }

    [Test]
    public void ShouldWarnWhenATransactionHoldsTheWatermarkBackPastTheThreshold()
    {
        horizon = new FixedHorizon(new SyncHorizon(Now.UtcDateTime, Now.UtcDateTime.AddSeconds(-301), 4242));

        Planner().Plan(LeadQueryRequests.Parse(""), 50, 200);

        logger.Warnings.Should().ContainSingle().Which.Should().Contain("301").And.Contain("4242");
    }

    [Test]
    public void ShouldNotAskTheDatabaseAgainForAPageWithACursor()
    {
        var planner = Planner();
        var first = planner.Plan(LeadQueryRequests.Parse(""), 50, 200);
        var cursor = planner.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));
        horizon = new FixedHorizon(new SyncHorizon(Now.UtcDateTime, DateTime.UnixEpoch, 1));

        Planner().Plan(LeadQueryRequests.Parse($"cursor={cursor}"), 50, 200).Watermark.Should().Be(first.Watermark);
    }

    [Test]
    public void ShouldNotAcceptALeadCursorForTheDeletionsFeed()
    {
        var planner = Planner();
        var first = planner.Plan(LeadQueryRequests.Parse(""), 50, 200);
        var cursor = planner.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));

        planner.Invoking(p => p.PlanAsync(
                    LeadQuery.Parse(LeadQueryRequests.Parse($"cursor={cursor}"), new LeadQueryLimits(100, 1000), CursorKind.Deletions), default)
                .GetAwaiter().GetResult())
            .Should().Throw<InvalidCursorException>();
    }

    private sealed class FixedHorizon(SyncHorizon value) : ISyncHorizon
    {
        public Task<SyncHorizon> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(value);
    }

    private sealed class CurrentKey(Guid workspaceId) : ICurrentApiKey
    {
        public ApiKeyIdentity? Identity { get; } = new(Guid.NewGuid(), workspaceId, WorkspaceStatus.Active, ["leads.read"]);
    }
}

/// <summary>Lead-query planning as the list and export handlers do it, synchronously for these tests.</summary>
internal static class LeadQueryPlannerTestExtensions
{
    public static LeadQueryPlan Plan(this LeadQueryPlanner planner, LeadQueryParameters parameters, int defaultLimit, int maxLimit) =>
        planner.PlanAsync(LeadQuery.Parse(parameters, new LeadQueryLimits(defaultLimit, maxLimit), CursorKind.Leads), CancellationToken.None)
            .GetAwaiter().GetResult();
}

/// <summary>Keeps the warnings a component logs, so a test can read them.</summary>
internal sealed class RecordingLogger<T> : Microsoft.Extensions.Logging.ILogger<T>
{
    public List<string> Warnings { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(
        Microsoft.Extensions.Logging.LogLevel logLevel,
        Microsoft.Extensions.Logging.EventId eventId,
        TState state,
        Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
        {
            Warnings.Add(formatter(state, exception));
        }
    }
}
