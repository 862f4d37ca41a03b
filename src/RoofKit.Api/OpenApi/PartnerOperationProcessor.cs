using System.Reflection;
using MediatR;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Namotion.Reflection;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;
using RoofKit.Api.Errors;
using RoofKit.Api.Formatters;
using RoofKit.Api.Http;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListLeads;

namespace RoofKit.Api.OpenApi;

/// <summary>
/// What every Partner API operation answers besides its 200 (CONTRACT.md §2-§5, §7 and the export page): the
/// Bearer requirement and scope, the error statuses with their ErrorResponse and headers, and the headers of
/// the 200. The scope is read from the MediatR request the action sends (its <see cref="RequiresScopeAttribute"/>),
/// so the document cannot name another scope than the one enforced.
/// </summary>
public sealed class PartnerOperationProcessor(string publicBaseUrl) : IOperationProcessor
{
    public const string SecuritySchemeName = "ApiKey";
    private const string Json = "application/json";
    private const string Csv = "text/csv";

    public bool Process(OperationProcessorContext context)
    {
        var operation = context.OperationDescription.Operation;
        var method = context.MethodInfo;
        if (method.GetCustomAttribute<AllowAnonymousAttribute>() is not null
            || method.DeclaringType?.GetCustomAttribute<AllowAnonymousAttribute>() is not null)
        {
            // An explicit empty requirement says "no key" (linters want every operation to say). NSwag drops an empty
            // Security list when it writes the document, so the empty array goes in as extension data.
            operation.Security = null;
            operation.ExtensionData ??= new Dictionary<string, object?>();
            operation.ExtensionData["security"] = Array.Empty<object>();
            return true;
        }

        var (scope, rateLimit) = RequestOf(method);
        operation.Security = [new OpenApiSecurityRequirement { [SecuritySchemeName] = [] }];
        operation.ExtensionData ??= new Dictionary<string, object?>();
        operation.ExtensionData["x-scopes"] = new[] { scope };
        operation.Description = $"{operation.Description}\n\nBearer API key · Scope: `{scope}`".TrimStart();

        var leadQuery = method.GetCustomAttribute<LeadQueryParametersAttribute>();
        var isLeadQuery = leadQuery is not null;
        var isCsv = method.GetCustomAttributes<ProducesAttribute>().Any(p => p.ContentTypes.Contains(Csv));
        Success(operation, method, isLeadQuery, isCsv, rateLimit);

        var error = context.SchemaGenerator.GenerateWithReference<JsonSchema>(typeof(ErrorResponse).ToContextualType(), context.SchemaResolver);
        if (leadQuery is not null)
        {
            operation.Responses["400"] = Error("Request payload, query, or required header is invalid.", error,
                [.. RateLimitHeaders(rateLimit), RequestId()], OpenApiExamples.BadRequest(leadQuery.Limits.Max));
        }

        if (leadQuery is { Deletions: true })
        {
            operation.Responses["410"] = Error("`from` is older than the deletions feed keeps (`Sync:DeletionRetentionDays`, 30 by default): sync in full.",
                error, [.. RateLimitHeaders(rateLimit), RequestId()], OpenApiExamples.Gone);
        }

        operation.Responses["401"] = Error("Missing, malformed, revoked, deleted, or unknown API key.", error,
            [("WWW-Authenticate", Header(
                "Documented response header: the Bearer challenge, `Bearer realm=\"RoofKit Partner API\"` for a missing key, "
                + "with `error=\"invalid_token\"` for any other failure.",
                JsonObjectType.String, required: true, example: "Bearer realm=\"RoofKit Partner API\", error=\"invalid_token\"")), RequestId()],
            OpenApiExamples.Unauthorized);
        operation.Responses["403"] = Error("API key lacks the required scope or the workspace is not active.", error,
            [("WWW-Authenticate", Header(
                $"Documented response header: sent with `insufficient_scope`, naming the scope this operation needs (`{scope}`).",
                JsonObjectType.String, example: $"Bearer realm=\"RoofKit Partner API\", error=\"insufficient_scope\", scope=\"{scope}\"")),
                RequestId()],
            OpenApiExamples.Forbidden(scope));
        operation.Responses["429"] = Error("Rate limit exceeded for this key and endpoint or invalid-auth bucket.", error,
            [.. RateLimitHeaders(rateLimit, exhausted: true), ("Retry-After", Header(
                "Whole seconds until the caller should retry: until the window ends, or 1 for `concurrency_limited`.",
                JsonObjectType.Integer, required: true, example: 55, minimum: 1, maximum: int.MaxValue)), RequestId()],
            isCsv ? OpenApiExamples.TooManyExports : OpenApiExamples.TooManyRequests);
        operation.Responses["500"] = Error("Internal authentication or server error.", error, [RequestId()], OpenApiExamples.InternalError);
        operation.Responses["503"] = Error("The database cannot be reached; retry later. A missing or malformed key still gets its 401.",
            error, [RequestId()], OpenApiExamples.Unavailable);
        return true;
    }

    private void Success(OpenApiOperation operation, MethodInfo method, bool isLeadQuery, bool isCsv, RateLimitRule rateLimit)
    {
        var ok = operation.Responses["200"];
        var headers = new List<(string, OpenApiHeader)>(RateLimitHeaders(rateLimit));
        if (isCsv)
        {
            ok.Content.Clear();
            ok.Content[Csv] = new OpenApiMediaType
            {
                // A string of bytes, so that generated clients hand over the stream (a CSV of 10,000 rows) instead of
                // trying to parse it as JSON.
                Schema = new JsonSchema
                {
                    Type = JsonObjectType.String,
                    Format = JsonFormatStrings.Binary,
                    Description = "RFC 4180 CSV text, UTF-8 without BOM, CRLF line ends, a header row always "
                        + "(`Content-Type: text/csv; charset=utf-8; header=present`). Formula-safe with comma, semicolon or tab "
                        + "as the spreadsheet's separator: `'` goes before `=`, `+`, `-`, `@`, tab, CR or LF at the start of a "
                        + "field and before `=`, `+`, `-` or `@` after a comma, semicolon, tab or line break inside it; a field "
                        + "with a separator, quote or line break is quoted; a plain number (`+15125550142`, `-3.5`) is "
                        + "written as it is. Columns: "
                        + string.Join(", ", LeadCsvEncoder.Columns) + ".",
                },
                Example = OpenApiExamples.Csv,
            };
            headers.AddRange(
            [
                ("Content-Disposition", Header(
                    "Documented response header: `attachment; filename=\"roofkit-leads-<yyyyMMddTHHmmssZ>.csv\"`.",
                    JsonObjectType.String, required: true, example: "attachment; filename=\"roofkit-leads-20261127T101505Z.csv\"")),
                ("X-Export-Truncated", Header("true when additional matching rows remain after the CSV cap.",
                    JsonObjectType.Boolean, required: true, example: true)),
                ("X-Export-Next-Cursor", Header(
                    "Cursor to pass back to `/api/v1/leads/export` for the next export segment when truncated.",
                    JsonObjectType.String, example: OpenApiExamples.Cursor)),
                ("X-Export-Row-Count", Header("The number of rows in this response, header row not counted.",
                    JsonObjectType.Integer, required: true, example: 1, minimum: 0, maximum: ExportLeadsQuery.MaxLimit)),
                ("Link", Header("When truncated: `<next segment URL>; rel=\"next\"` (with this request's `limit`, if it had one).",
                    JsonObjectType.String,
                    example: $"<{publicBaseUrl}/api/v1/leads/export?cursor={OpenApiExamples.Cursor}&limit=1>; rel=\"next\"")),
            ]);
        }
        else if (ok.Content.TryGetValue(Json, out var json))
        {
            json.Example = OpenApiExamples.ForResponse(UnwrapTask(method.ReturnType));
        }

        if (isLeadQuery)
        {
            headers.Add(("X-Sync-Watermark", Header(
                "The upper bound (RFC 3339 UTC) of the rows this run serves. Start the next sync run with `from` set to it to miss no row.",
                JsonObjectType.String, required: true, example: OpenApiExamples.SyncWatermark, format: JsonFormatStrings.DateTime)));
        }

        headers.Add(RequestId());
        foreach (var (name, header) in headers)
        {
            ok.Headers[name] = header;
        }
    }

    private static OpenApiResponse Error(
        string description, JsonSchema schema, IEnumerable<(string Name, OpenApiHeader Header)> headers, IReadOnlyDictionary<string, OpenApiExample> examples)
    {
        var media = new OpenApiMediaType { Schema = schema };
        foreach (var (name, example) in examples)
        {
            media.Examples[name] = example;
        }

        var response = new OpenApiResponse { Description = description };
        response.Content[Json] = media;
        foreach (var (name, header) in headers)
        {
            response.Headers[name] = header;
        }

        return response;
    }

    /// <summary>
    /// The bucket's headers, with examples of this operation's default limit (<see cref="RateLimitOptions"/>): after
    /// the window's first request, or, <paramref name="exhausted"/>, on its 429.
    /// </summary>
    private static IEnumerable<(string, OpenApiHeader)> RateLimitHeaders(RateLimitRule rule, bool exhausted = false) =>
    [
        ("X-RateLimit-Limit", Header($"Maximum requests allowed in the current window (by default {rule.PermitLimit} per {rule.WindowSeconds} s for this operation).",
            JsonObjectType.Integer, required: true, example: rule.PermitLimit, minimum: 1, maximum: int.MaxValue)),
        ("X-RateLimit-Remaining", Header("Requests remaining in the current window (0 on a 429).",
            JsonObjectType.Integer, required: true, example: exhausted ? 0 : rule.PermitLimit - 1, minimum: 0, maximum: int.MaxValue)),
        ("X-RateLimit-Reset", Header("When the current rate-limit window ends: ISO 8601 UTC, whole seconds (`2026-11-27T10:16:00Z`).",
            JsonObjectType.String, required: true, example: OpenApiExamples.RateLimitReset, format: JsonFormatStrings.DateTime)),
    ];

    private static (string, OpenApiHeader) RequestId() =>
        ("X-Request-Id", Header("Identifies the request; quote it to support. Equals `error.request_id` of an error body.",
            JsonObjectType.String, required: true, example: OpenApiExamples.RequestId));

    /// <summary>A response header; an integer one is an int32 between <paramref name="minimum"/> and <paramref name="maximum"/>.</summary>
    private static OpenApiHeader Header(
        string description, JsonObjectType type, bool required = false, object? example = null, int? minimum = null, int? maximum = null,
        string? format = null) => new()
        {
            Description = description,
            IsRequired = required,
            Schema = new JsonSchema
            {
                Type = type,
                Minimum = minimum,
                Maximum = maximum,
                Format = type == JsonObjectType.Integer ? JsonFormatStrings.Integer : format,
            },
            Example = example,
        };

    private static Type UnwrapTask(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>) ? type.GetGenericArguments()[0] : type;

    /// <summary>
    /// The scope and default rate limit of the MediatR request the action sends: the one its
    /// <see cref="LeadQueryParametersAttribute"/> names, else the one whose response the action returns (one request
    /// per response type).
    /// </summary>
    private static (string Scope, RateLimitRule RateLimit) RequestOf(MethodInfo method)
    {
        var response = UnwrapTask(method.ReturnType);
        List<Type> requests = method.GetCustomAttribute<LeadQueryParametersAttribute>() is { } leadQuery
            ? [leadQuery.QueryType]
            : typeof(ListLeadsQuery).Assembly.GetTypes()
                .Where(t => t is { IsAbstract: false, IsInterface: false }
                    && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)
                        && i.GetGenericArguments()[0] == response))
                .ToList();
        if (requests.Count != 1)
        {
            throw new InvalidOperationException(
                $"OpenAPI: {method.DeclaringType?.Name}.{method.Name} returns {response.Name}, which {requests.Count} requests answer; expected one.");
        }

        var scope = requests[0].GetCustomAttribute<RequiresScopeAttribute>()?.Scope
            ?? throw new InvalidOperationException($"OpenAPI: {requests[0].Name} declares no [RequiresScope].");
        var policy = requests[0].GetCustomAttribute<RateLimitedAttribute>()?.Policy
            ?? throw new InvalidOperationException($"OpenAPI: {requests[0].Name} declares no [RateLimited].");
        return (scope, new RateLimitOptions().For(policy));
    }
}
