using System.Globalization;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Api.Errors;

/// <summary>The <c>X-RateLimit-*</c> headers of CONTRACT.md §4.</summary>
public static class RateLimitHeaders
{
    public static void Write(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Reset"] = decision.ResetAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
