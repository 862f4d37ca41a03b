using System.Diagnostics.Metrics;
using MediatR;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Behaviours;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Domain.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Application.Tests.Common.Behaviours;

/// <summary>
/// When a request's page is read while it is counted (ADR-010, decision 4): only a small read of the list policy,
/// only when its bucket was last seen with at least the minimum left, and the count still decides. The count is held
/// back here (a store whose answer the test gives), so what starts before it is seen.
/// </summary>
public sealed class RateLimitBehaviourTests
{
    private static readonly DateTime ResetAt = new(2026, 12, 1, 10, 15, 0, DateTimeKind.Utc);
    private static readonly ApiKeyIdentity Identity = new(Guid.NewGuid(), Guid.NewGuid(), WorkspaceStatus.Active, ["leads.read"]);

    [Test]
    public async Task ShouldStartASmallReadWhileItIsCountedWhenItsBucketHadPlentyLeft()
    {
        var (behaviour, store, estimates) = Behaviour<SmallRead>();
        estimates.Remember(Bucket("small_read"), new RateLimitDecision(25, 24, ResetAt, Allowed: true));
        var started = false;

        var handling = behaviour.Handle(new SmallRead(), CancellationToken.None, () => { started = true; return Task.FromResult("page"); });

        started.Should().BeTrue("the page is read while the count is on its way");
        store.Answer(new RateLimitDecision(25, 23, ResetAt, Allowed: true));
        (await handling).Should().Be("page");
    }

    [Test]
    public async Task ShouldCountFirstWhenTheBucketHadLessThanTheMinimumLeft()
    {
        var (behaviour, store, estimates) = Behaviour<SmallRead>();
        estimates.Remember(
            Bucket("small_read"), new RateLimitDecision(25, RateLimitBehaviour<SmallRead, string>.OverlapMinimumRemaining - 1, ResetAt, Allowed: true));
        var started = false;

        var handling = behaviour.Handle(new SmallRead(), CancellationToken.None, () => { started = true; return Task.FromResult("page"); });

        started.Should().BeFalse("the count comes first near the limit");
        store.Answer(new RateLimitDecision(25, 8, ResetAt, Allowed: true));
        (await handling).Should().Be("page");
        started.Should().BeTrue();
    }

    [Test]
    public async Task ShouldNeverStartAnExportBeforeItIsCounted()
    {
        var (behaviour, store, estimates) = Behaviour<BigRead>();
        estimates.Remember(Bucket("big_read"), new RateLimitDecision(60, 59, ResetAt, Allowed: true));
        var started = false;

        var handling = behaviour.Handle(new BigRead(), CancellationToken.None, () => { started = true; return Task.FromResult("rows"); });

        started.Should().BeFalse();
        store.Answer(new RateLimitDecision(60, 58, ResetAt, Allowed: true));
        (await handling).Should().Be("rows");
    }

    [Test]
    public async Task ShouldRefuseAnOverlappedReadTheCountRefusesWhateverTheReadDid()
    {
        var (behaviour, store, estimates) = Behaviour<SmallRead>();
        estimates.Remember(Bucket("small_read"), new RateLimitDecision(25, 24, ResetAt, Allowed: true));

        var handling = behaviour.Handle(
            new SmallRead(), CancellationToken.None, () => Task.FromException<string>(new InvalidOperationException("the page failed")));
        store.Answer(new RateLimitDecision(25, 0, ResetAt, Allowed: false));

        await handling.Invoking(async task => await task).Should().ThrowAsync<RateLimitExceededException>();
    }

    private static string Bucket(string endpoint) => $"key:{Identity.KeyId:N}:{endpoint}";

    private static (RateLimitBehaviour<TRequest, string> Behaviour, HeldStore Store, RateLimitEstimates Estimates) Behaviour<TRequest>()
        where TRequest : IRequest<string>
    {
        var store = new HeldStore();
        var estimates = new RateLimitEstimates(new TestClock(new DateTimeOffset(ResetAt.AddSeconds(-30))));
        var behaviour = new RateLimitBehaviour<TRequest, string>(
            new Caller(), store, Options.Create(new RateLimitOptions()), new RateLimitContext(), new RoofKitMetrics(new Meters()), estimates);
        return (behaviour, store, estimates);
    }

    [RateLimited("small_read", RateLimitPolicy.List)]
    public sealed record SmallRead : IRequest<string>;

    [RateLimited("big_read", RateLimitPolicy.Export)]
    public sealed record BigRead : IRequest<string>;

    private sealed class Caller : ICurrentApiKey
    {
        public ApiKeyIdentity? Identity => RateLimitBehaviourTests.Identity;
    }

    /// <summary>A count that comes back when the test says, with the decision it gives.</summary>
    private sealed class HeldStore : IRateLimitStore
    {
        private readonly TaskCompletionSource<RateLimitDecision> decision = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<RateLimitDecision> HitAsync(string bucket, RateLimitRule rule, CancellationToken cancellationToken) => decision.Task;

        public void Answer(RateLimitDecision answer) => decision.SetResult(answer);
    }

    private sealed class Meters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
