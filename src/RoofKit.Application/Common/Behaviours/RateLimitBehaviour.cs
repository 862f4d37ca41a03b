using System.Collections.Concurrent;
using System.Reflection;
using MediatR;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Application.Common.Behaviours;

/// <summary>Counts the request against the bucket of its key and endpoint, and stops it when that bucket is empty.</summary>
public sealed class RateLimitBehaviour<TRequest, TResponse>(
    ICurrentApiKey currentApiKey,
    IRateLimitStore store,
    IOptions<RateLimitOptions> options,
    RateLimitContext context,
    RoofKitMetrics metrics)
    : IPipelineBehavior<TRequest, TResponse>
{
    private static readonly ConcurrentDictionary<Type, RateLimitedAttribute?> AttributeByType = new();

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var limited = AttributeByType.GetOrAdd(typeof(TRequest), t => t.GetCustomAttribute<RateLimitedAttribute>());
        if (limited is null || currentApiKey.Identity is not { } identity)
        {
            return await next();
        }

        var bucket = $"key:{identity.KeyId:N}:{limited.Endpoint}";
        var decision = await store.HitAsync(bucket, options.Value.For(limited.Policy), cancellationToken);
        context.Decision = decision;
        if (!decision.Allowed)
        {
            metrics.RateLimitRejected(limited.Endpoint);
            throw new RateLimitExceededException(decision);
        }

        return await next();
    }
}
