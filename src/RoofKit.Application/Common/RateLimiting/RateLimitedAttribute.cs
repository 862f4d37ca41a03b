namespace RoofKit.Application.Common.RateLimiting;

/// <summary>
/// Puts a request behind a per-key bucket named <paramref name="endpoint"/>, with the limits of
/// <paramref name="policy"/>. Each endpoint has a bucket of its own even where two share a policy.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RateLimitedAttribute(string endpoint, RateLimitPolicy policy) : Attribute
{
    public string Endpoint { get; } = endpoint;

    public RateLimitPolicy Policy { get; } = policy;
}
