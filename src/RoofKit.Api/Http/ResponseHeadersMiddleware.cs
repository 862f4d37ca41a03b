using RoofKit.Api.Errors;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Api.Http;

/// <summary>
/// Headers every response carries: <c>X-Request-Id</c>, <c>X-Content-Type-Options</c>, and the rate-limit
/// headers of whatever bucket the request reached (on 200, 400 and 429 alike).
/// </summary>
public sealed class ResponseHeadersMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers["X-Request-Id"] = http.TraceIdentifier;
            headers.XContentTypeOptions = "nosniff";
            if (!headers.ContainsKey("X-RateLimit-Limit")
                && http.RequestServices.GetService<RateLimitContext>()?.Decision is { } decision)
            {
                RateLimitHeaders.Write(http.Response, decision);
            }

            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
