using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Application.Tests.Common.RateLimiting;

/// <summary>
/// The estimates that let a list-policy request read its page while it is counted (ADR-010): only within the window
/// the count was made in, and never for more requests than the bucket was last seen to have above the minimum.
/// </summary>
public sealed class RateLimitEstimatesTests
{
    private static readonly DateTime ResetAt = new(2026, 12, 1, 10, 15, 0, DateTimeKind.Utc);

    [Test]
    public void ShouldLetABurstOverlapNoMoreReadsThanTheBucketHadAboveTheMinimum()
    {
        var estimates = new RateLimitEstimates(new Clock(ResetAt.AddSeconds(-30)));
        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 12, ResetAt, Allowed: true));

        var taken = Enumerable.Range(0, 10).Count(_ => estimates.TryTakeOne("key:a:list_leads", 10));

        taken.Should().Be(3, "12, 11 and 10 left are at or above the minimum of 10");
    }

    [Test]
    public void ShouldOverlapNothingForABucketNeverCountedOrWhoseWindowEnded()
    {
        var clock = new Clock(ResetAt.AddSeconds(-1));
        var estimates = new RateLimitEstimates(clock);
        estimates.Remember("key:a:list_leads", new RateLimitDecision(600, 500, ResetAt, Allowed: true));

        estimates.TryTakeOne("key:b:list_leads", 10).Should().BeFalse("no count of this bucket was seen");
        clock.Now = ResetAt;
        estimates.TryTakeOne("key:a:list_leads", 10).Should().BeFalse("the count belongs to a window that has ended");
    }

    private sealed class Clock(DateTime now) : TimeProvider
    {
        public DateTime Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => new(Now);
    }
}
