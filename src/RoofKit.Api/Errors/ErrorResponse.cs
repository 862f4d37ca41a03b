using System.Text.Json.Serialization;

namespace RoofKit.Api.Errors;

/// <summary>The body of every non-2xx response.</summary>
public sealed record ErrorResponse(ErrorBody Error);

/// <summary>What went wrong: a stable <c>code</c> to branch on, a message for people, and the request id to quote to support.</summary>
public sealed record ErrorBody(
    string Code,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ErrorDetail>? Details,
    string RequestId)
{
    /// <summary>
    /// The most <see cref="Details"/> an error lists: room for every problem of every known parameter, while a request
    /// with thousands of unknown parameters still gets a small answer.
    /// </summary>
    public const int MaxDetails = 50;
}

/// <summary>One problem with one parameter.</summary>
public sealed record ErrorDetail(string Param, string Message);
