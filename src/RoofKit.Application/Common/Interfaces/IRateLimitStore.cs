using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Application.Common.Interfaces;

/// <summary>Shared fixed-window counters: one atomic hit per call, exact across API instances.</summary>
public interface IRateLimitStore
{
    Task<RateLimitDecision> HitAsync(string bucket, RateLimitRule rule, CancellationToken cancellationToken);
}
