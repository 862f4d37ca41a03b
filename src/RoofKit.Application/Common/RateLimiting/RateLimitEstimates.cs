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
    /// True when the bucket's estimate on this instance, in the window still running, is at least
    /// <paramref name="minimum"/>; the estimate then drops by one, so that a burst overlaps no more reads than the
    /// bucket is thought to admit (the others are counted first, and a refused one reads no page).
    /// </summary>
    public bool TryTakeOne(string bucket, int minimum)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        while (lastCount.TryGetValue(bucket, out var last) && last.Remaining >= minimum && now < last.ResetAt)
        {
            if (lastCount.TryUpdate(bucket, (last.ResetAt, last.Remaining - 1), last))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Takes a count into the estimate. Within a window a bucket's count only falls, but its requests' decisions come
    /// back in no set order: the estimate keeps the lowest of the window (a late count never raises it), and a count
    /// of a later window starts it again.
    /// </summary>
    public void Remember(string bucket, RateLimitDecision decision)
    {
        // Count takes every lock of the dictionary: asked only when a bucket is new, not on every request.
        if (!lastCount.ContainsKey(bucket) && lastCount.Count >= MaxRememberedBuckets)
        {
            lastCount.Clear();
        }

        var seen = (decision.ResetAt, decision.Remaining);
        lastCount.AddOrUpdate(
            bucket,
            static (_, seen) => seen,
            static (_, last, seen) => seen.ResetAt > last.ResetAt ? seen
                : seen.ResetAt < last.ResetAt ? last
                : (last.ResetAt, Math.Min(last.Remaining, seen.Remaining)),
            seen);
    }
}
