using Microsoft.AspNetCore.Http.Features;
using RoofKit.Api.Errors;

namespace RoofKit.Api.Http;

/// <summary>
/// The limits on a request's URL and headers, enforced by the application so that a request over them gets the
/// ErrorResponse and <c>X-Request-Id</c> like every other error (CONTRACT.md §5). Kestrel answers a request over its
/// own limits itself, with an empty 414 or 431 before the application sees it, so Kestrel's limits are set above
/// these (Program.cs): only a request past those (<see cref="KestrelFactor"/> times these) gets Kestrel's bare answer.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    /// <summary>
    /// The request target (path and query) in bytes. A next-page request carries a cursor (up to 16 KiB) and may
    /// repeat long non-ASCII filters, percent-encoded: 64 KiB leaves room for any valid one.
    /// </summary>
    public const int MaxRequestTargetLength = 64 * 1024;

    /// <summary>All request headers together (each counted as <c>name: value</c> and a line end).</summary>
    public const int MaxRequestHeadersTotalSize = 64 * 1024;

    public const int MaxRequestHeaderCount = 100;

    /// <summary>How far above the application's limits Kestrel's hard limits sit.</summary>
    public const int KestrelFactor = 2;

    public Task InvokeAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget
            ?? context.Request.PathBase + context.Request.Path + context.Request.QueryString;
        if (target.Length > MaxRequestTargetLength)
        {
            throw new RequestTooLargeException(StatusCodes.Status414UriTooLong,
                $"The URL is longer than {MaxRequestTargetLength} characters. Send fewer or shorter parameters.");
        }

        var count = 0;
        var size = 0L;
        foreach (var (name, values) in context.Request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                size += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        if (count > MaxRequestHeaderCount || size > MaxRequestHeadersTotalSize)
        {
            throw new RequestTooLargeException(StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request headers are too large: at most {MaxRequestHeaderCount} headers of {MaxRequestHeadersTotalSize} bytes in all.");
        }

        return next(context);
    }
}
