using System.Reflection;
using MediatR;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Application.Common.Behaviours;

/// <summary>
/// Counts the request against the bucket of its key and endpoint, and stops it when that bucket is empty.
/// A small read (the list policy's endpoints) whose bucket had plenty left at its last count is read while it is
/// counted, so that the counter's round trip and the page's overlap (ADR-010); the counter still decides: a request
/// it refuses is answered 429 and its page is thrown away, and a 400 waits for the count to carry its headers.
/// Exports are never started before they are counted.
/// </summary>
public sealed class RateLimitBehaviour<TRequest, TResponse>(
    ICurrentApiKey currentApiKey,
    IRateLimitStore store,
    IOptions<RateLimitOptions> options,
    RateLimitContext context,
    RoofKitMetrics metrics,
    RateLimitEstimates estimates)
    : IPipelineBehavior<TRequest, TResponse>
{
    /// <summary>What a bucket must have had left at its last count on this instance for the next request to overlap.</summary>
    public const int OverlapMinimumRemaining = 10;

    private static readonly RateLimitedAttribute? Limited = typeof(TRequest).GetCustomAttribute<RateLimitedAttribute>();

    // Only the list policy's small reads overlap their count, and only their counts make estimates.
    private static readonly bool Overlaps = Limited?.Policy == RateLimitPolicy.List;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (Limited is not { } limited || currentApiKey.Identity is not { } identity)
        {
            return await next();
        }

        var bucket = $"key:{identity.KeyId:N}:{limited.Endpoint}";
        var counting = store.HitAsync(bucket, options.Value.For(limited.Policy), cancellationToken);
        var reading = Overlaps && estimates.TryTakeOne(bucket, OverlapMinimumRemaining) ? next() : null;

        RateLimitDecision decision;
        try
        {
            decision = await counting;
        }
        catch when (reading is not null)
        {
            await Observe(reading);
            throw;
        }

        if (Overlaps)
        {
            estimates.Remember(bucket, decision);
        }

        context.Decision = decision;
        if (!decision.Allowed)
        {
            if (reading is not null)
            {
                await Observe(reading);
            }

            metrics.RateLimitRejected(limited.Endpoint);
            throw new RateLimitExceededException(decision);
        }

        return await (reading ?? next());
    }

    /// <summary>Waits for a read whose answer is not wanted any more; its outcome, failure included, is dropped.</summary>
    private static async Task Observe(Task<TResponse> reading)
    {
        try
        {
            await reading;
        }
        catch (Exception)
        {
            // The request is answered by the counter's outcome; this read's own failure has nobody to go to.
        }
    }
}
