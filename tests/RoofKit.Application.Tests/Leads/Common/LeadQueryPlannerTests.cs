using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
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

    private readonly LeadCursorProtector protector = new(Options.Create(new CursorOptions { SigningKey = new string('k', 40) }));
    private TestClock clock = null!;

    [SetUp]
    public void ResetClock() => clock = new TestClock(Now);

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
        var planner = new LeadQueryPlanner(new CurrentKey(Workspace), protector, Options.Create(new SyncOptions()), clock);

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
        var other = new LeadQueryPlanner(new CurrentKey(Guid.NewGuid()), protector, Options.Create(new SyncOptions()), clock);
        var first = other.Plan(LeadQueryRequests.Parse(""), 50, 200);
        var cursor = other.NextCursor(first, new KeysetPosition(DateTime.UnixEpoch, Guid.NewGuid()));

        Planner().Invoking(p => p.Plan(LeadQueryRequests.Parse($"cursor={cursor}"), 50, 200))
            .Should().Throw<InvalidCursorException>();
    }

    private LeadQueryPlanner Planner(double settleLagSeconds = 0) =>
        new(new CurrentKey(Workspace), protector, Options.Create(new SyncOptions { SettleLagSeconds = settleLagSeconds }), clock);

    private sealed class CurrentKey(Guid workspaceId) : ICurrentApiKey
    {
        public ApiKeyIdentity? Identity { get; } = new(Guid.NewGuid(), workspaceId, WorkspaceStatus.Active, ["leads.read"]);
    }
}
