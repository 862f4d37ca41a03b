using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace RoofKit.Api.Errors;

/// <summary>Gives the bare 404s and 405s of routing an ErrorResponse body too.</summary>
public static class StatusCodeResponses
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, message) = http.Response.StatusCode switch
        {
            404 => ("not_found", "No such endpoint. See /docs."),
            405 => ("method_not_allowed", "This endpoint does not take that method."),
            _ => ("invalid_request", "The request could not be served."),
        };
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return http.Response.WriteAsJsonAsync(
            new ErrorResponse(new ErrorBody(code, message, null, null, http.TraceIdentifier)), options, "application/json");
    }
}
