using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Api.Authentication;

/// <summary>
/// Raised by the challenge of <see cref="ApiKeyAuthenticationHandler"/> so that the one exception handler
/// writes the 401 (or, past the invalid-auth bucket, the 429) like every other error.
/// </summary>
public sealed class ApiKeyAuthenticationException(bool missing, RateLimitDecision? invalidAuthBucket)
    : Exception(missing ? "No API key was sent." : "The API key is not valid.")
{
    public bool Missing { get; } = missing;

    /// <summary>Set when the caller's address has used up its failed authentications.</summary>
    public RateLimitDecision? InvalidAuthBucket { get; } = invalidAuthBucket;
}
