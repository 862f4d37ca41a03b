using System.Collections.Concurrent;

namespace RoofKit.Application.Common.RateLimiting;

/// <summary>
/// What this instance last saw left in each list-policy bucket, so that <c>RateLimitBehaviour</c> can read a page
/// while the request is counted when the bucket had plenty left (ADR-010). An estimate, never a decision: the
/// counter in PostgreSQL decides every request. One per host (a singleton), bounded in size.
/// </summary>
public sealed class RateLimitEstimates(TimeProvider clock)
{
    private const int MaxRememberedBuckets = 100_000;
    private readonly ConcurrentDictionary<string, (DateTime ResetAt, int Remaining)> lastCount = new(StringComparer.Ordinal);

    /// <summary>
    /// True when the bucket's last count on this instance, in the window still running, left at least
    /// <paramref name="remaining"/>; the estimate then drops by one, so that a burst overlaps no more reads than the
    /// bucket is thought to admit (the others are counted first, and a refused one reads no page).
    /// </summary>
    public bool TryTakeOne(string bucket, int remaining)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        while (lastCount.TryGetValue(bucket, out var last) && last.Remaining >= remaining && now < last.ResetAt)
        {
            if (lastCount.TryUpdate(bucket, (last.ResetAt, last.Remaining - 1), last))
            {
                return true;
            }
        }

        return false;
    }

    public void Remember(string bucket, RateLimitDecision decision)
    {
        // Count takes every lock of the dictionary: asked only when a bucket is new, not on every request.
        if (!lastCount.ContainsKey(bucket) && lastCount.Count >= MaxRememberedBuckets)
        {
            lastCount.Clear();
        }

        lastCount[bucket] = (decision.ResetAt, decision.Remaining);
    }
}
