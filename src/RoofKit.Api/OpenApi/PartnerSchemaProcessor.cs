using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using NJsonSchema;
using NJsonSchema.Generation;
using RoofKit.Api.Errors;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.Leads.Queries.ListDeletions;
using RoofKit.Application.Leads.Queries.ListLeads;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;
using RoofKit.Domain.Leads;

namespace RoofKit.Api.OpenApi;

/// <summary>
/// Makes the component schemas say what the JSON really is (see <c>ApiJson</c>): every property is written, nulls
/// included, so each is required (nullable where the C# type is) unless it is skipped when null; ids are
/// <c>uuid</c>; arrays and cursors have the bounds the API keeps to; the error message is the one SDKs raise; and
/// partners read descriptions rather than the C# types' internal remarks.
/// </summary>
public sealed class PartnerSchemaProcessor : ISchemaProcessor
{
    /// <summary>OpenAPI's registered format for ids; NJsonSchema writes "guid", which only .NET tools know.</summary>
    public const string Uuid = "uuid";

    private static readonly Dictionary<Type, string> TypeDescriptions = new()
    {
        [typeof(LeadPage)] = "One page of leads, oldest change first. While `has_more` is true, pass `next_cursor` as `cursor` for the next page.",
        [typeof(DeletionPage)] = "One page of deleted leads, oldest deletion first. While `has_more` is true, pass `next_cursor` as `cursor` for the next page.",
        [typeof(LeadDeletion)] = "A deleted lead: delete your copy with this id.",
        [typeof(Lead)] = "A lead: the export's columns as snake_case fields, null where a value is missing.",
        [typeof(StatusStageList)] = "The workspace's pipeline stages in order.",
        [typeof(StatusStage)] = "One step of the workspace's pipeline; map a lead's `status_stage_id` to it.",
        [typeof(ErrorResponse)] = "The body of every non-2xx response.",
        [typeof(ErrorBody)] = "What went wrong: a stable `code` to branch on, a message for people, and the request id to quote to support.",
        [typeof(ErrorDetail)] = "One problem with one parameter.",
    };

    /// <summary>Primary error message (Kiota): the generated exception's <c>Message</c> is this property's value.</summary>
    public const string PrimaryErrorMessage = "x-ms-primary-error-message";

    /// <summary>The most items each array holds, as the API enforces it.</summary>
    private static readonly Dictionary<(Type, string), int> MaxItems = new()
    {
        [(typeof(LeadPage), "data")] = ListLeadsQuery.MaxLimit,
        [(typeof(DeletionPage), "data")] = ListDeletionsQuery.MaxLimit,
        [(typeof(StatusStageList), "data")] = StatusStageList.MaxStages,
        [(typeof(ErrorBody), "details")] = ErrorBody.MaxDetails,
    };

    private static readonly Dictionary<(Type, string), string> PropertyDescriptions = new()
    {
        [(typeof(LeadPage), "data")] = "The page's leads, ordered by `updated_at`, then `id`.",
        [(typeof(LeadPage), "has_more")] = "true when more leads match after this page.",
        [(typeof(LeadPage), "next_cursor")] = "Cursor for the next page; null on the last page.",
        [(typeof(StatusStageList), "data")] = $"The stages by `position` (at most {StatusStageList.MaxStages}).",
        [(typeof(DeletionPage), "data")] = "The page's deletions, ordered by `deleted_at`, then `id`.",
        [(typeof(DeletionPage), "has_more")] = "true when more deletions match after this page.",
        [(typeof(DeletionPage), "next_cursor")] = "Cursor for the next page; null on the last page.",
        [(typeof(LeadDeletion), "id")] = "The deleted lead's id.",
        [(typeof(LeadDeletion), "deleted_at")] = "When the lead was deleted, RFC 3339 UTC with milliseconds; the sort key and the `from`/`to` filter.",
        [(typeof(Lead), "id")] = "The lead's id; upsert by it (a sync may deliver a row twice).",
        [(typeof(Lead), "status_stage_id")] = "The lead's pipeline stage (see listStatusStages).",
        [(typeof(Lead), "status_stage_name")] = "The name of that stage.",
        [(typeof(Lead), "created_at")] = "When the lead arrived, RFC 3339 UTC with milliseconds.",
        [(typeof(Lead), "updated_at")] = "The lead's last change, RFC 3339 UTC with milliseconds; the sort key and the `from`/`to` filter.",
        [(typeof(StatusStage), "position")] = "The stage's place in the pipeline, ascending.",
        [(typeof(StatusStage), "kind")] = "open while the lead is being worked, won or lost when it is closed.",
        [(typeof(ErrorBody), "code")] = "Stable error code: invalid_request, unknown_parameter, invalid_cursor (400); missing_api_key, "
            + "invalid_api_key (401); insufficient_scope, workspace_inactive (403); sync_expired (410); rate_limited, auth_rate_limited, "
            + "concurrency_limited (429); internal_error (500); unavailable (503).",
        [(typeof(ErrorBody), "message")] = "A human-readable explanation.",
        [(typeof(ErrorBody), "param")] = "The query parameter at fault, for validation errors.",
        [(typeof(ErrorBody), "details")] = $"Every problem found (the first {ErrorBody.MaxDetails}), for validation errors.",
        [(typeof(ErrorBody), "request_id")] = "Equals the response's `X-Request-Id`.",
    };

    public void Process(SchemaProcessorContext context)
    {
        var type = context.ContextualType.Type;
        var schema = context.Schema;
        if (schema.Type != JsonObjectType.Object || schema.Properties.Count == 0)
        {
            return;
        }

        if (TypeDescriptions.TryGetValue(type, out var description))
        {
            schema.Description = description;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            if (!schema.Properties.TryGetValue(name, out var member))
            {
                continue;
            }

            if (property.GetCustomAttribute<JsonIgnoreAttribute>()?.Condition is not JsonIgnoreCondition.WhenWritingNull)
            {
                member.IsRequired = true;
            }

            if (member.Format == JsonFormatStrings.Guid)
            {
                member.Format = Uuid;
            }

            if (PropertyDescriptions.TryGetValue((type, name), out var text))
            {
                member.Description = text;
            }

            if (MaxItems.TryGetValue((type, name), out var maxItems))
            {
                member.MaxItems = maxItems;
            }

            if (name == "next_cursor")
            {
                // The API refuses a longer cursor, so it never hands one out.
                member.MaxLength = LeadCursorProtector.MaxLength;
            }

            if (member.Type.HasFlag(JsonObjectType.Integer))
            {
                // NJsonSchema writes int32 for int; the bounds are the type's: a stage's position is any PostgreSQL integer.
                member.Minimum ??= int.MinValue;
                member.Maximum ??= int.MaxValue;
            }
        }

        if (type == typeof(ErrorBody) && schema.Properties.TryGetValue("message", out var message))
        {
            message.ExtensionData ??= new Dictionary<string, object?>();
            message.ExtensionData[PrimaryErrorMessage] = true;
        }

        if (type == typeof(StatusStage) && schema.Properties.TryGetValue("kind", out var kind))
        {
            foreach (var value in StatusStage.Kinds)
            {
                kind.Enumeration.Add(value);
            }
        }
    }
}
