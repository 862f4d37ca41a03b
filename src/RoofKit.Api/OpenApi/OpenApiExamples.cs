using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NSwag;
using RoofKit.Application.Leads.Queries.ListDeletions;
using RoofKit.Application.Leads.Queries.ListLeads;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;

namespace RoofKit.Api.OpenApi;

/// <summary>
/// Example payloads of the document, written as the API writes them (snake_case, RFC 3339 UTC with milliseconds,
/// the real error messages); the lint checks each against its schema. They are one moment of one workspace, at
/// <see cref="Now"/> with the default settle lag and limits: OpenApiExampleTests makes that moment (the lead, stages
/// and deletions below) and checks every example against what the API answers in it.
/// </summary>
internal static class OpenApiExamples
{
    /// <summary>The request time of the examples.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 15, 5, TimeSpan.Zero);

    /// <summary>Kestrel's request id: the connection id, a colon, the request's number on it.</summary>
    public const string RequestId = "0HNA1B2C3D4E5:00000001";

    /// <summary><see cref="Now"/> less the default settle lag of 5 s.</summary>
    public const string SyncWatermark = "2026-11-27T10:15:00.000Z";

    /// <summary>The end of the 60-s window that holds <see cref="Now"/>.</summary>
    public const string RateLimitReset = "2026-11-27T10:16:00Z";

    public const string Cursor = "AXsiV3MiOiI3ZjViMmM4YS0zYjFlLTRjNWQtOGU2Zi0xYTJiM2M0ZDVlNmYiLCJVIjo2Mzg2NzI1MzY5OTEyMzAwMDB9q2x7Zk3VfW0pQ8rT1sLh";

    // Exactly what the API sends for this lead (a test exports it): the phone as it is, the notes that start like a
    // formula with ' in front and quoted.
    public const string Csv =
        "id,first_name,last_name,email,phone,street,city,region,postal_code,source,medium,campaign,status_stage_id,status_stage_name,notes,created_at,updated_at\r\n"
        + "9b1f3c2e-5a7d-4e8f-b6a1-0c2d3e4f5a6b,Dana,Whitfield,dana.whitfield@example.com,+15125550142,418 Maple Ave,Austin,TX,78704,google,cpc,spring-roof-check,"
        + "3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14,Inspection scheduled,\"'=wants a quote for hail damage\",2026-11-20T15:02:11.481Z,2026-11-27T10:14:59.123Z\r\n";

    private static readonly JToken Lead = Json("""
        {
          "id": "9b1f3c2e-5a7d-4e8f-b6a1-0c2d3e4f5a6b",
          "first_name": "Dana",
          "last_name": "Whitfield",
          "email": "dana.whitfield@example.com",
          "phone": "+15125550142",
          "street": "418 Maple Ave",
          "city": "Austin",
          "region": "TX",
          "postal_code": "78704",
          "source": "google",
          "medium": "cpc",
          "campaign": "spring-roof-check",
          "status_stage_id": "3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14",
          "status_stage_name": "Inspection scheduled",
          "notes": "=wants a quote for hail damage",
          "created_at": "2026-11-20T15:02:11.481Z",
          "updated_at": "2026-11-27T10:14:59.123Z"
        }
        """);

    private static readonly JToken LeadPage = new JObject
    {
        ["data"] = new JArray(Lead),
        ["has_more"] = true,
        ["next_cursor"] = Cursor,
    };

    private static readonly JToken DeletionPage = Json($$"""
        {
          "data": [
            { "id": "5d0c7a9e-1f2b-4c3d-8e4f-a5b6c7d8e9f0", "deleted_at": "2026-11-26T17:40:03.250Z" },
            { "id": "c4a8e2f1-6b3d-4f9a-8e7c-1d2b3a4c5e6f", "deleted_at": "2026-11-27T09:02:44.918Z" }
          ],
          "has_more": true,
          "next_cursor": "{{Cursor}}"
        }
        """);

    private static readonly JToken StatusStages = Json("""
        {
          "data": [
            { "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "name": "New", "position": 1, "kind": "open" },
            { "id": "3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14", "name": "Inspection scheduled", "position": 3, "kind": "open" },
            { "id": "16fd2706-8baf-433b-82eb-8c7fada847da", "name": "Won", "position": 5, "kind": "won" }
          ]
        }
        """);

    /// <summary>
    /// JSON text as it is: Json.NET would read timestamps as dates and write them back its own way
    /// (<c>…03.250Z</c> as <c>…03.25Z</c>), which is not how the API writes them.
    /// </summary>
    private static JToken Json(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        return JToken.ReadFrom(reader);
    }

    public static object? ForResponse(Type type) =>
        type == typeof(LeadPage) ? LeadPage
        : type == typeof(DeletionPage) ? DeletionPage
        : type == typeof(StatusStageList) ? StatusStages
        : null;

    public static IReadOnlyDictionary<string, OpenApiExample> BadRequest(int maxLimit) => new Dictionary<string, OpenApiExample>
    {
        ["invalid_request"] = Example("A parameter's value breaks its rule",
            "invalid_request", $"limit must be between 1 and {maxLimit}.", "limit",
            [("limit", $"limit must be between 1 and {maxLimit}.")]),
        ["unknown_parameter"] = Example("A query parameter the endpoint does not know",
            "unknown_parameter", "Unknown query parameter 'page'.", "page", [("page", "Unknown query parameter 'page'.")]),
        ["invalid_cursor"] = Example("A malformed, tampered, other-workspace or other-filter cursor",
            "invalid_cursor", "The cursor is invalid. Send back a cursor exactly as a list or export response returned it, with the same filters.",
            "cursor", null),
    };

    public static readonly IReadOnlyDictionary<string, OpenApiExample> Unauthorized = new Dictionary<string, OpenApiExample>
    {
        ["missing_api_key"] = Example("No Authorization header", "missing_api_key", "Send an API key as 'Authorization: Bearer <key>'."),
        ["invalid_api_key"] = Example("A malformed, revoked, deleted or unknown key", "invalid_api_key", "The API key is not valid."),
    };

    public static IReadOnlyDictionary<string, OpenApiExample> Forbidden(string scope) => new Dictionary<string, OpenApiExample>
    {
        ["insufficient_scope"] = Example("The key lacks this operation's scope",
            "insufficient_scope", $"The API key lacks the scope '{scope}' that this endpoint requires."),
        ["workspace_inactive"] = Example("The key's workspace is suspended or closed", "workspace_inactive", "The API key's workspace is not active."),
    };

    public static readonly IReadOnlyDictionary<string, OpenApiExample> Gone = new Dictionary<string, OpenApiExample>
    {
        ["sync_expired"] = Example("from is older than the deletions feed keeps",
            "sync_expired", "Deletions before 2026-10-28T10:15:05Z are no longer kept; sync in full.", "from"),
    };

    public static readonly IReadOnlyDictionary<string, OpenApiExample> TooManyRequests = new Dictionary<string, OpenApiExample>
    {
        ["rate_limited"] = Example("The key's bucket for this endpoint is empty",
            "rate_limited", "Rate limit exceeded for this API key and endpoint. Retry after the window resets."),
        ["auth_rate_limited"] = Example("Too many failed authentications from this address",
            "auth_rate_limited", "Too many failed authentications from this address. Retry after the window resets."),
    };

    /// <summary>An export's 429s: those of every operation, and the workspace's export slots (CONTRACT.md §4).</summary>
    public static readonly IReadOnlyDictionary<string, OpenApiExample> TooManyExports = new Dictionary<string, OpenApiExample>(TooManyRequests)
    {
        ["concurrency_limited"] = Example("The workspace already has its maximum of exports in progress (Retry-After: 1)",
            "concurrency_limited", "This workspace already has its maximum of exports in progress. Retry when one has finished."),
    };

    public static readonly IReadOnlyDictionary<string, OpenApiExample> InternalError = new Dictionary<string, OpenApiExample>
    {
        ["internal_error"] = Example("Anything unexpected; no detail leaves the server",
            "internal_error", "The server could not complete the request. Quote the request_id to support."),
    };

    public static readonly IReadOnlyDictionary<string, OpenApiExample> Unavailable = new Dictionary<string, OpenApiExample>
    {
        ["unavailable"] = Example("The database cannot be reached",
            "unavailable", "The service is unavailable for a moment. Retry later; quote the request_id to support if it lasts."),
    };

    private static OpenApiExample Example(
        string summary, string code, string message, string? param = null, IReadOnlyList<(string Param, string Message)>? details = null)
    {
        var error = new JObject { ["code"] = code, ["message"] = message };
        if (param is not null)
        {
            error["param"] = param;
        }

        if (details is not null)
        {
            error["details"] = new JArray(details.Select(d => new JObject { ["param"] = d.Param, ["message"] = d.Message }));
        }

        error["request_id"] = RequestId;
        return new OpenApiExample { Summary = summary, Value = new JObject { ["error"] = error } };
    }
}
