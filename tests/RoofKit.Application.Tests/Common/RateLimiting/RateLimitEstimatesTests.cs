using RoofKit.Application.Common.RateLimiting;
using RoofKit.Testing;

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
        var estimates = new RateLimitEstimates(new TestClock(new DateTimeOffset(ResetAt.AddSeconds(-30))));
        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 12, ResetAt, Allowed: true));

        var taken = Enumerable.Range(0, 10).Count(_ => estimates.TryTakeOne("key:a:list_leads", 10));

        taken.Should().Be(3, "12, 11 and 10 left are at or above the minimum of 10");
    }

    [Test]
    public void ShouldOverlapNothingForABucketNeverCountedOrWhoseWindowEnded()
    {
        var clock = new TestClock(new DateTimeOffset(ResetAt.AddSeconds(-1)));
        var estimates = new RateLimitEstimates(clock);
        estimates.Remember("key:a:list_leads", new RateLimitDecision(600, 500, ResetAt, Allowed: true));

        estimates.TryTakeOne("key:b:list_leads", 10).Should().BeFalse("no count of this bucket was seen");
        clock.Set(new DateTimeOffset(ResetAt));
        estimates.TryTakeOne("key:a:list_leads", 10).Should().BeFalse("the count belongs to a window that has ended");
    }

    /// <summary>
    /// A bucket's counts only fall within a window, but its requests' decisions come back in no set order: a count
    /// that arrives late (more left than the estimate already says) must not raise the estimate again.
    /// </summary>
    [Test]
    public void ShouldNotRaiseAnEstimateWithACountThatCameBackLate()
    {
        var estimates = new RateLimitEstimates(new TestClock(new DateTimeOffset(ResetAt.AddSeconds(-30))));
        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 12, ResetAt, Allowed: true));
        Enumerable.Range(0, 3).Count(_ => estimates.TryTakeOne("key:a:list_leads", 10)).Should().Be(3);

        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 11, ResetAt, Allowed: true));

        estimates.TryTakeOne("key:a:list_leads", 10).Should().BeFalse("the estimate is down to 9, below the 11 that came back late");
    }

    [Test]
    public void ShouldStartAgainFromTheFirstCountOfANewWindow()
    {
        var clock = new TestClock(new DateTimeOffset(ResetAt.AddSeconds(-1)));
        var estimates = new RateLimitEstimates(clock);
        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 0, ResetAt, Allowed: false));
        clock.Set(new DateTimeOffset(ResetAt));

        estimates.Remember("key:a:list_leads", new RateLimitDecision(25, 24, ResetAt.AddSeconds(60), Allowed: true));

        estimates.TryTakeOne("key:a:list_leads", 10).Should().BeTrue();
    }
}
