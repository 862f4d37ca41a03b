namespace RoofKit.Api.Errors;

/// <summary>A request whose URL (414) or headers (431) are over the application's limits; answered invalid_request.</summary>
public sealed class RequestTooLargeException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
