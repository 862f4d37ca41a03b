using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Application.Common.Exceptions;

/// <summary>One problem with one parameter of a request.</summary>
public sealed record ParameterError(string Param, string Message, string Code = "invalid_request");

/// <summary>The request's parameters break the contract (400 <c>invalid_request</c> or <c>unknown_parameter</c>).</summary>
public sealed class RequestValidationException(IReadOnlyList<ParameterError> errors)
    : Exception(errors.Count > 0 ? errors[0].Message : "The request is invalid.")
{
    public IReadOnlyList<ParameterError> Errors { get; } = errors;

    /// <summary>The most specific code among the errors: unknown_parameter, then invalid_cursor, else invalid_request.</summary>
    public string Code =>
        Errors.Any(e => e.Code == "unknown_parameter") ? "unknown_parameter"
        : Errors.Any(e => e.Code == "invalid_cursor") ? "invalid_cursor"
        : "invalid_request";
}

/// <summary>The cursor is malformed, tampered with, of another version, workspace or filter set (400).</summary>
public sealed class InvalidCursorException(string message = "The cursor is invalid. Send back a cursor exactly as a list or export response returned it, with the same filters.")
    : Exception(message);

/// <summary>The key may not do this (403): it lacks a scope, or its workspace is not active.</summary>
public sealed class ForbiddenException(string code, string message, string? scope = null) : Exception(message)
{
    public string Code { get; } = code;

    public string? Scope { get; } = scope;
}

/// <summary>The key's bucket for this endpoint is empty (429).</summary>
public sealed class RateLimitExceededException(RateLimitDecision decision)
    : Exception("Rate limit exceeded for this API key and endpoint. Retry after the window resets.")
{
    public RateLimitDecision Decision { get; } = decision;
}

/// <summary>The deletions asked for are older than the feed keeps (410 <c>sync_expired</c>): the client must sync in full.</summary>
public sealed class SyncExpiredException(DateTime keptSince)
    : Exception($"Deletions before {keptSince:yyyy-MM-dd'T'HH:mm:ss'Z'} are no longer kept; sync in full.")
{
    public DateTime KeptSince { get; } = keptSince;
}

/// <summary>The workspace already has its maximum of exports in progress (429 <c>concurrency_limited</c>, <c>Retry-After: 1</c>).</summary>
public sealed class ConcurrencyLimitedException()
    : Exception("This workspace already has its maximum of exports in progress. Retry when one has finished.");
