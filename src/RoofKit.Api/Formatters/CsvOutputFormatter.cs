using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.Net.Http.Headers;
using RoofKit.Api.Infrastructure;
using RoofKit.Application.Leads.Queries.ExportLeads;

namespace RoofKit.Api.Formatters;

/// <summary>
/// Writes a <see cref="LeadExport"/> as formula-safe RFC 4180 CSV. The segment's size, truncation and next
/// cursor are headers, known before the first row; the rows are formatted straight into the response as the
/// database produces them, so PostgreSQL and the formatter work at the same time and memory stays flat.
/// </summary>
public sealed class CsvOutputFormatter : TextOutputFormatter
{
    public const string ContentType = "text/csv; charset=utf-8; header=present";

    /// <summary>The contract's columns, in order (CONTRACT.md §7).</summary>
    public static readonly string[] Columns =
    [
        "id", "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code",
        "source", "medium", "campaign", "status_stage_id", "status_stage_name", "notes", "created_at", "updated_at",
    ];

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape,
        // OWASP's list as CsvHelper has it (= @ + - tab CR), plus LF, which a spreadsheet also treats as the start of a formula cell.
        InjectionCharacters = "=@+-\t\r\n",
        WriteByteOrderMark = false,
        NewLine = "\r\n",
    };

    public CsvOutputFormatter()
    {
        SupportedMediaTypes.Add("text/csv");
        SupportedEncodings.Add(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    protected override bool CanWriteType(Type? type) => type == typeof(LeadExport);

    public override void WriteResponseHeaders(OutputFormatterWriteContext context)
    {
        var export = (LeadExport)context.Object!;
        var response = context.HttpContext.Response;
        var headers = response.Headers;
        headers.ContentType = ContentType;
        headers.CacheControl = "no-store";
        headers.ContentDisposition =
            $"attachment; filename=\"roofkit-leads-{export.GeneratedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.csv\"";
        headers["X-Export-Truncated"] = export.Truncated ? "true" : "false";
        headers["X-Export-Row-Count"] = export.Slice.RowCount.ToString(CultureInfo.InvariantCulture);
        headers["X-Sync-Watermark"] = ApiJson.Timestamp(export.SyncWatermark);
        if (export.NextCursor is { } next)
        {
            headers["X-Export-Next-Cursor"] = next;
            headers.Link = $"<{NextLink(context.HttpContext.Request, next)}>; rel=\"next\"";
        }
    }

    public override async Task WriteResponseBodyAsync(OutputFormatterWriteContext context, Encoding selectedEncoding)
    {
        var export = (LeadExport)context.Object!;
        var cancellationToken = context.HttpContext.RequestAborted;
        await using var csv = CsvWriter.Create(context.HttpContext.Response.Body, Options, leaveOpen: true);
        csv.WriteHeader(Columns);
        await foreach (var lead in export.Slice.ReadAsync(cancellationToken))
        {
            csv.WriteField(lead.Id, "D");
            csv.WriteField(lead.FirstName);
            csv.WriteField(lead.LastName);
            csv.WriteField(lead.Email);
            csv.WriteField(lead.Phone);
            csv.WriteField(lead.Street);
            csv.WriteField(lead.City);
            csv.WriteField(lead.Region);
            csv.WriteField(lead.PostalCode);
            csv.WriteField(lead.Source);
            csv.WriteField(lead.Medium);
            csv.WriteField(lead.Campaign);
            csv.WriteField(lead.StatusStageId, "D");
            csv.WriteField(lead.StatusStageName);
            csv.WriteField(lead.Notes);
            csv.WriteField(lead.CreatedAt, ApiJson.TimestampFormat);
            csv.WriteField(lead.UpdatedAt, ApiJson.TimestampFormat);
            await csv.EndRecordAsync(cancellationToken);
        }

        await csv.FlushAsync(cancellationToken);
    }

    private static string NextLink(HttpRequest request, string cursor)
    {
        var link = new StringBuilder()
            .Append(request.Scheme).Append("://").Append(request.Host.ToUriComponent())
            .Append(request.PathBase.ToUriComponent()).Append(request.Path.ToUriComponent())
            .Append("?cursor=").Append(Uri.EscapeDataString(cursor));
        if (request.Query.TryGetValue("limit", out var limit) && limit.Count == 1)
        {
            link.Append("&limit=").Append(Uri.EscapeDataString(limit.ToString()));
        }

        return link.ToString();
    }
}
