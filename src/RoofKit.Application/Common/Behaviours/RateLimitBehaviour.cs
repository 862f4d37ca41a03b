using System.Collections.Concurrent;
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
    TimeProvider clock)
    : IPipelineBehavior<TRequest, TResponse>
{
    /// <summary>What a bucket must have had left at its last count on this instance for the next request to overlap.</summary>
    public const int OverlapMinimumRemaining = 10;

    private const int MaxRememberedBuckets = 100_000;
    private static readonly ConcurrentDictionary<Type, RateLimitedAttribute?> AttributeByType = new();
    private static readonly ConcurrentDictionary<string, (DateTime ResetAt, int Remaining)> LastCount = new(StringComparer.Ordinal);

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var limited = AttributeByType.GetOrAdd(typeof(TRequest), t => t.GetCustomAttribute<RateLimitedAttribute>());
        if (limited is null || currentApiKey.Identity is not { } identity)
        {
            return await next();
        }

        var bucket = $"key:{identity.KeyId:N}:{limited.Endpoint}";
        var counting = store.HitAsync(bucket, options.Value.For(limited.Policy), cancellationToken);
        var reading = limited.Policy == RateLimitPolicy.List && HadPlentyLeft(bucket) ? next() : null;

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

        if (limited.Policy == RateLimitPolicy.List)
        {
            Remember(bucket, decision);
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

    private bool HadPlentyLeft(string bucket) =>
        LastCount.TryGetValue(bucket, out var last) && last.Remaining >= OverlapMinimumRemaining
        && clock.GetUtcNow().UtcDateTime < last.ResetAt;

    private static void Remember(string bucket, RateLimitDecision decision)
    {
        // Count takes every lock of the dictionary: asked only when a bucket is new, not on every request.
        if (!LastCount.ContainsKey(bucket) && LastCount.Count >= MaxRememberedBuckets)
        {
            LastCount.Clear();
        }

        LastCount[bucket] = (decision.ResetAt, decision.Remaining);
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
