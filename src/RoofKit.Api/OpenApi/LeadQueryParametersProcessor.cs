using System.Reflection;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;
using RoofKit.Api.Http;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.OpenApi;

/// <summary>
/// Describes the lead query (CONTRACT.md §6) of an action marked <see cref="LeadQueryParametersAttribute"/>.
/// The actions read the raw query string, so that every bad value gets the contract's 400 after authentication
/// and rate limiting; the document still tells clients each parameter's type, format and bounds.
/// </summary>
public sealed class LeadQueryParametersProcessor : IOperationProcessor
{
    public bool Process(OperationProcessorContext context)
    {
        if (context.MethodInfo.GetCustomAttribute<LeadQueryParametersAttribute>() is not { } leadQuery)
        {
            return true;
        }

        var known = leadQuery.ParameterNames;
        var limits = leadQuery.Limits;
        var parameters = (leadQuery.Deletions ? DescribeDeletions(limits) : Describe(limits)).Where(p => known.Contains(p.Name)).ToList();
        if (!parameters.Select(p => p.Name).SequenceEqual(known))
        {
            throw new InvalidOperationException("OpenAPI: the documented query parameters differ from the endpoint's known names.");
        }

        foreach (var parameter in parameters)
        {
            context.OperationDescription.Operation.Parameters.Add(parameter);
        }

        return true;
    }

    private static List<OpenApiParameter> Describe(LeadQueryLimits limits) =>
    [
        Query("source", "Case-insensitive exact match on the lead's UTM source.", Text(LeadFilter.TextMinLength, LeadFilter.TextMaxLength)),
        Query("medium", "Case-insensitive exact match on the lead's UTM medium.", Text(LeadFilter.TextMinLength, LeadFilter.TextMaxLength)),
        Query("campaign", "Case-insensitive exact match on the lead's UTM campaign.", Text(LeadFilter.TextMinLength, LeadFilter.TextMaxLength)),
        Query("from", "Inclusive updated_at lower bound for incremental sync. RFC 3339 with an offset (`Z` or `+hh:mm`); "
            + "start the next sync run with the previous run's `X-Sync-Watermark`. Example: `2026-11-01T00:00:00Z`.",
            Timestamp()),
        Query("to", "Inclusive updated_at upper bound for incremental sync. RFC 3339 with an offset; must not be before `from`.",
            Timestamp()),
        Query("status_stage_id", "Only leads in this pipeline stage (an `id` from listStatusStages). "
            + "A well-formed id of no stage of the workspace matches nothing.",
            new JsonSchema { Type = JsonObjectType.String, Format = PartnerSchemaProcessor.Uuid, MinLength = 36, MaxLength = 36 }),
        Query("search", $"Case-insensitive substring of name, email, phone, street, city or postal code (PostgreSQL's `lower()` "
            + $"on both sides, so `İstanbul` finds `İstanbul`). {LeadFilter.SearchMinLength} to "
            + $"{LeadFilter.SearchMaxLength} characters; a shorter term is 400 (no index can serve it). "
            + "Served by the key's workspace's indexes, never a scan: its next leads in order when many hold the term, "
            + "else a trigram index.",
            Text(LeadFilter.SearchMinLength, LeadFilter.SearchMaxLength)),
        Query("cursor", "Opaque cursor returned by list/export responses. Send it back unchanged; malformed cursors return 400. "
            + "Filters may be repeated or left out (the cursor's are used); different filters are 400 `invalid_cursor`.",
            new JsonSchema
            {
                Type = JsonObjectType.String,
                MinLength = 1,
                MaxLength = LeadCursorProtector.MaxLength,
                // What the API hands out (base64url); any other text is no cursor of this API (400 invalid_cursor).
                Pattern = "^[A-Za-z0-9_-]+$",
            }),
        Query("limit", $"Rows per response: 1 to {limits.Max}, default {limits.Default}.",
            new JsonSchema
            {
                Type = JsonObjectType.Integer,
                Format = JsonFormatStrings.Integer,
                Minimum = 1,
                Maximum = limits.Max,
                Default = limits.Default,
            },
            Math.Min(limits.Default, 100)),
    ];

    private static List<OpenApiParameter> DescribeDeletions(LeadQueryLimits limits) =>
    [
        Query("from", "Inclusive deleted_at lower bound. RFC 3339 with an offset; start each run with the previous run's "
            + "`X-Sync-Watermark`. Older than the retention (30 days by default) is 410 `sync_expired`. Example: `2026-11-01T00:00:00Z`.",
            Timestamp()),
        Query("to", "Inclusive deleted_at upper bound. RFC 3339 with an offset; must not be before `from`.",
            Timestamp()),
        .. Describe(limits).Where(p => p.Name is "cursor" or "limit"),
    ];

    /// <summary>A text filter as the parser takes it: a length in characters, no control characters.</summary>
    private static JsonSchema Text(int minLength, int maxLength) => new()
    {
        Type = JsonObjectType.String,
        MinLength = minLength,
        MaxLength = maxLength,
        Pattern = @"^[^\u0000-\u001F\u007F-\u009F]*$",
    };

    /// <summary>
    /// What the parser takes for <c>from</c> and <c>to</c> (<c>LeadFilter.TryParseTimestamp</c>): from
    /// <c>2026-11-27T10:15:00Z</c> to seven fraction digits and an offset, <c>2026-11-27T10:15:00.1234567+02:00</c>.
    /// </summary>
    private static JsonSchema Timestamp() =>
        new() { Type = JsonObjectType.String, Format = JsonFormatStrings.DateTime, MinLength = 20, MaxLength = 33 };

    // Only limit has an example: Swagger UI fills "Try it out" with examples, and example filters would match nothing.
    private static OpenApiParameter Query(string name, string description, JsonSchema schema, object? example = null) => new()
    {
        Name = name,
        Kind = OpenApiParameterKind.Query,
        IsRequired = false,
        Description = description,
        Schema = schema,
        Example = example,
    };
}
