using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.Net.Http.Headers;
using RoofKit.Api.Http;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Leads.Queries.ExportLeads;

namespace RoofKit.Api.Formatters;

/// <summary>
/// Sends a <see cref="LeadExport"/>: the segment's size, truncation, next cursor and watermark as headers, then the
/// CSV that <see cref="LeadCsvEncoder"/> encoded while the database was read, at whatever pace the client reads it.
/// </summary>
public sealed class CsvOutputFormatter : TextOutputFormatter
{
    public const string ContentType = "text/csv; charset=utf-8; header=present";

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
        headers["X-Export-Row-Count"] = export.RowCount.ToString(CultureInfo.InvariantCulture);
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
        await export.Body.WriteToAsync(context.HttpContext.Response.Body, context.HttpContext.RequestAborted);
        // Counted once the whole segment has been handed to the server: an export the client broke off exported nothing.
        context.HttpContext.RequestServices.GetRequiredService<RoofKitMetrics>().RowsExported(export.RowCount);
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
