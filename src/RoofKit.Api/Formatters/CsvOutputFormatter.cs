using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.Net.Http.Headers;
using RoofKit.Api.Infrastructure;
using RoofKit.Application.Leads.Queries.ExportLeads;

namespace RoofKit.Api.Formatters;

/// <summary>
/// Writes a <see cref="LeadExport"/> as RFC 4180 CSV that is formula-safe whatever separator a spreadsheet imports
/// it with (CONTRACT.md §7; <see cref="CsvFormulaGuard"/>). The segment's size, truncation and next
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
        InjectionCharacters = CsvFormulaGuard.FormulaStarts,
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
            WriteText(csv, lead.FirstName);
            WriteText(csv, lead.LastName);
            WriteText(csv, lead.Email);
            WriteText(csv, lead.Phone);
            WriteText(csv, lead.Street);
            WriteText(csv, lead.City);
            WriteText(csv, lead.Region);
            WriteText(csv, lead.PostalCode);
            WriteText(csv, lead.Source);
            WriteText(csv, lead.Medium);
            WriteText(csv, lead.Campaign);
            csv.WriteField(lead.StatusStageId, "D");
            WriteText(csv, lead.StatusStageName);
            WriteText(csv, lead.Notes);
            csv.WriteField(lead.CreatedAt, ApiJson.TimestampFormat);
            csv.WriteField(lead.UpdatedAt, ApiJson.TimestampFormat);
            await csv.EndRecordAsync(cancellationToken);
        }

        await csv.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// A text column. A signed plain number (an E.164 phone, <c>-3.5</c>) goes to CsvHelper as the number it is, which
    /// its injection escape leaves alone; any other text gets <c>'</c> before each formula character that could start
    /// a cell (CsvHelper's escape for the first one), and quotes when it holds a separator.
    /// </summary>
    private static void WriteText(CsvWriter csv, string? value)
    {
        if (value is null)
        {
            csv.WriteField((string?)null);
        }
        else if (CsvFormulaGuard.TrySignedNumber(value, out var number, out var format))
        {
            csv.WriteField(number, format);
        }
        else
        {
            var text = CsvFormulaGuard.EscapeInnerCells(value);
            csv.WriteField(text, CsvFormulaGuard.HoldsOtherSeparator(text) ? CsvQuoting.Always : CsvQuoting.WhenNeeded);
        }
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
