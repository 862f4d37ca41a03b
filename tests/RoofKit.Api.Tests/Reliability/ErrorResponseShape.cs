using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// The ErrorResponse of CONTRACT.md §5, checked strictly: nothing missing, nothing extra, a code that belongs to
/// the status, and nothing of the server's insides (stack, SQL, driver, key material) in the text.
/// </summary>
public static class ErrorResponseShape
{
    /// <summary>The contract's error codes by status.</summary>
    public static readonly IReadOnlyDictionary<int, string[]> CodesByStatus = new Dictionary<int, string[]>
    {
        [400] = ["invalid_request", "unknown_parameter", "invalid_cursor"],
        [401] = ["missing_api_key", "invalid_api_key"],
        [403] = ["insufficient_scope", "workspace_inactive"],
        [414] = ["invalid_request"],
        [429] = ["rate_limited", "auth_rate_limited"],
        [431] = ["invalid_request"],
        [500] = ["internal_error"],
        [503] = ["unavailable"],
    };

    /// <summary>Text that only the server's insides could have put into a body.</summary>
    public static readonly string[] LeakMarkers =
    [
        "Exception", "   at ", "StackTrace", "Npgsql", "Postgres", "SqlState", "Dapper", "RoofKit.", "System.",
        "SELECT ", "FROM leads", "workspace_id", "secret_hash", "api_keys", "rate_limit_counters", "pg_", "syntax error",
        "rk_live_", "Host=", "Password",
    ];

    /// <summary>The response body as text, undoing gzip or br when the server compressed it.</summary>
    public static async Task<string> BodyAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var encoding = response.Content.Headers.ContentEncoding.LastOrDefault();
        if (encoding is null)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        await using Stream decoder = encoding switch
        {
            "gzip" => new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress),
            "br" => new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress),
            _ => throw new InvalidDataException($"unexpected Content-Encoding {encoding}"),
        };
        using var reader = new StreamReader(decoder, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>
    /// What is wrong with a non-2xx response, or an empty list. <paramref name="sent"/> is what the request carried
    /// (URL, headers): a marker it contains may come back, quoted in a message, without having leaked.
    /// </summary>
    public static List<string> Problems(HttpResponseMessage response, string body, string sent = "")
    {
        var problems = new List<string>();
        var status = (int)response.StatusCode;
        if (!CodesByStatus.TryGetValue(status, out var codes))
        {
            problems.Add($"status {status} is not one the contract gives an error code for");
            codes = [];
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            problems.Add($"Content-Type is '{response.Content.Headers.ContentType}', not application/json");
        }

        var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.SingleOrDefault() : null;
        if (string.IsNullOrEmpty(requestId))
        {
            problems.Add("no X-Request-Id header");
        }

        foreach (var marker in LeakMarkers)
        {
            if (body.Contains(marker, StringComparison.OrdinalIgnoreCase) && !sent.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"the body gives away '{marker}'");
            }
        }

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException e)
        {
            problems.Add($"the body is not JSON ({e.Message})");
            return problems;
        }

        if (root.ValueKind != JsonValueKind.Object || !OnlyProperties(root, ["error"], problems, "the body")
            || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the body is not {\"error\": {...}}");
            return problems;
        }

        OnlyProperties(error, ["code", "message", "param", "details", "request_id"], problems, "error");
        var code = RequiredString(error, "code", problems);
        if (code is not null && !codes.Contains(code))
        {
            problems.Add($"error.code '{code}' is not a code of status {status}");
        }

        if (RequiredString(error, "message", problems) is { Length: 0 })
        {
            problems.Add("error.message is empty");
        }

        var bodyRequestId = RequiredString(error, "request_id", problems);
        if (bodyRequestId is not null && requestId is not null && bodyRequestId != requestId)
        {
            problems.Add($"error.request_id '{bodyRequestId}' differs from X-Request-Id '{requestId}'");
        }

        // The schema's param is any string: a parameter with an empty name ("?=x") is named "".
        var hasParam = error.TryGetProperty("param", out var param);
        if (hasParam && param.ValueKind != JsonValueKind.String)
        {
            problems.Add("error.param is not a string");
        }

        if (error.TryGetProperty("details", out var details))
        {
            if (details.ValueKind != JsonValueKind.Array)
            {
                problems.Add("error.details is not an array");
            }
            else if (details.GetArrayLength() == 0)
            {
                problems.Add("error.details is empty");
            }
            else
            {
                if (!hasParam || details[0].ValueKind != JsonValueKind.Object || !details[0].TryGetProperty("param", out var first)
                    || first.ValueKind != JsonValueKind.String || first.GetString() != (param.ValueKind == JsonValueKind.String ? param.GetString() : null))
                {
                    problems.Add("error.param is not the param of the first of error.details");
                }

                foreach (var detail in details.EnumerateArray())
                {
                    if (detail.ValueKind != JsonValueKind.Object)
                    {
                        problems.Add("an entry of error.details is not an object");
                        continue;
                    }

                    OnlyProperties(detail, ["param", "message"], problems, "error.details[]");
                    RequiredString(detail, "param", problems);
                    RequiredString(detail, "message", problems);
                }
            }
        }

        if (status == 401 && response.Headers.WwwAuthenticate.Count == 0)
        {
            problems.Add("a 401 without WWW-Authenticate");
        }

        if (status == 429 && response.Headers.RetryAfter is null)
        {
            problems.Add("a 429 without Retry-After");
        }

        return problems;
    }

    private static bool OnlyProperties(JsonElement element, string[] allowed, List<string> problems, string what)
    {
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                problems.Add($"{what} has an unexpected property '{property.Name}'");
                ok = false;
            }
        }

        return ok;
    }

    private static string? RequiredString(JsonElement element, string name, List<string> problems)
    {
        if (element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        problems.Add($"'{name}' is missing or not a string");
        return null;
    }
}
