namespace RoofKit.Application.Common.RateLimiting;

/// <summary>The state of one bucket after one request was counted against it.</summary>
public sealed record RateLimitDecision(int Limit, int Remaining, DateTime ResetAt, bool Allowed)
{
    /// <summary>Whole seconds until the window ends, at least 1 (what <c>Retry-After</c> says).</summary>
    public int RetryAfterSeconds(DateTime now) =>
        Math.Max(1, (int)Math.Ceiling((ResetAt - now).TotalSeconds));
}

/// <summary>
/// The decision taken for the current request, kept for the response headers that the API layer writes
/// whatever the outcome (200, 400 or 429).
/// </summary>
public sealed class RateLimitContext
{
    public RateLimitDecision? Decision { get; set; }
}
