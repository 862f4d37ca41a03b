using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using RoofKit.Api.Authentication;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Api.Errors;

/// <summary>
/// The one place where exceptions become responses: each maps to a status and an <see cref="ErrorResponse"/>
/// in a single switch. A 500 says nothing about its cause; expected failures are logged below Error.
/// </summary>
public sealed class ApiExceptionHandler(
    ILogger<ApiExceptionHandler> logger,
    TimeProvider clock,
    IConnectionPools pools,
    IOptions<JsonOptions> jsonOptions) : IExceptionHandler
{
    private const string InternalMessage = "The server could not complete the request. Quote the request_id to support.";
    private const string UnavailableMessage = "The service is unavailable for a moment. Retry later; quote the request_id to support if it lasts.";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return true;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var (status, body, rateLimit, authenticate) = exception switch
        {
            RequestValidationException e => (400, Body(e.Code, e.Message, e.Errors[0].Param,
                e.Errors.Take(ErrorBody.MaxDetails).Select(x => new ErrorDetail(x.Param, x.Message)).ToList()), null, null),
            InvalidCursorException e => (400, Body("invalid_cursor", e.Message, "cursor", null), null, null),
            ApiKeyAuthenticationException { InvalidAuthBucket: { } bucket } => (429, Body("auth_rate_limited",
                "Too many failed authentications from this address. Retry after the window resets.", null, null), bucket, null),
            ApiKeyAuthenticationException { Missing: true } => (401, Body("missing_api_key",
                "Send an API key as 'Authorization: Bearer <key>'.", null, null), null, $"Bearer realm=\"{ApiKeyAuthenticationHandler.Realm}\""),
            ApiKeyAuthenticationException => (401, Body("invalid_api_key",
                "The API key is not valid.", null, null), null, $"Bearer realm=\"{ApiKeyAuthenticationHandler.Realm}\", error=\"invalid_token\""),
            ForbiddenException { Code: "insufficient_scope" } e => (403, Body(e.Code, e.Message, null, null), null,
                $"Bearer realm=\"{ApiKeyAuthenticationHandler.Realm}\", error=\"insufficient_scope\", scope=\"{e.Scope}\""),
            ForbiddenException e => (403, Body(e.Code, e.Message, null, null), null, null),
            SyncExpiredException e => (410, Body("sync_expired", e.Message, "from", null), null, null),
            RateLimitExceededException e => (429, Body("rate_limited", e.Message, null, null), e.Decision, (string?)null),
            ConcurrencyLimitedException e => (429, Body("concurrency_limited", e.Message, null, null), null, null),
            RequestTooLargeException e => (e.StatusCode, Body("invalid_request", e.Message, null, null), null, null),
            BadHttpRequestException e => (e.StatusCode, Body("invalid_request", "The request could not be read.", null, null), null, null),
            _ when DatabaseUnavailable.Is(exception) => (503, Body("unavailable", UnavailableMessage, null, null), null, null),
            _ => (500, Body("internal_error", InternalMessage, null, null), null, null),
        };

        if (status == 503)
        {
            pools.ClearIdleConnections();
            // An outage of the database, not a bug: one line per request, without the stack trace.
            logger.LogWarning("Request {RequestId} answered 503: the database cannot be reached ({Reason})",
                httpContext.TraceIdentifier, exception.GetBaseException().Message);
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Request {RequestId} failed", httpContext.TraceIdentifier);
        }
        else
        {
            logger.LogInformation("Request {RequestId} answered {Status} {Code}", httpContext.TraceIdentifier, status, body.Code);
        }

        if (httpContext.Response.HasStarted)
        {
            // Part of a body is on the wire (a streaming export failed); the only honest thing left is to abort.
            httpContext.Abort();
            return true;
        }

        httpContext.Response.Clear();
        httpContext.Response.StatusCode = status;
        if (authenticate is not null)
        {
            httpContext.Response.Headers.WWWAuthenticate = authenticate;
        }

        if (exception is ConcurrencyLimitedException)
        {
            // A slot frees up as soon as one of the workspace's exports has been sent (CONTRACT.md §4).
            httpContext.Response.Headers.RetryAfter = "1";
        }

        if (rateLimit is not null)
        {
            RateLimitHeaders.Write(httpContext.Response, rateLimit);
            httpContext.Response.Headers.RetryAfter = rateLimit.RetryAfterSeconds(now).ToString(CultureInfo.InvariantCulture);
        }

        await httpContext.Response.WriteAsJsonAsync(
            new ErrorResponse(body with { RequestId = httpContext.TraceIdentifier }),
            jsonOptions.Value.SerializerOptions,
            "application/json",
            cancellationToken);
        return true;
    }

    private static ErrorBody Body(string code, string message, string? param, IReadOnlyList<ErrorDetail>? details) =>
        new(code, message, param, details, "");
}
