using System.Diagnostics.Metrics;

namespace RoofKit.Application.Common.Metrics;

/// <summary>
/// The API's own instruments, all in the <c>RoofKit</c> meter, defined here and recorded where their events happen.
/// Tags name endpoints and outcomes only, never a key, a workspace or a client address: those would make one time
/// series per tenant and put identifiers into whatever stores the metrics.
/// </summary>
public sealed class RoofKitMetrics
{
    public const string MeterName = "RoofKit";

    private readonly Counter<long> rowsExported;
    private readonly Counter<long> rateLimitRejections;
    private readonly Counter<long> concurrencyRejections;
    private readonly Counter<long> authRejections;
    private readonly Histogram<double> watermarkLag;

    public RoofKitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        rowsExported = meter.CreateCounter<long>(
            "roofkit.rows_exported", "{row}", "CSV rows sent to partners by completed exports (header rows not counted).");
        rateLimitRejections = meter.CreateCounter<long>(
            "roofkit.rate_limit.rejections", "{request}", "Requests refused with 429 rate_limited, by endpoint bucket.");
        concurrencyRejections = meter.CreateCounter<long>(
            "roofkit.export.concurrency_rejections", "{request}",
            "Exports refused with 429 concurrency_limited: the workspace had all its export slots in use.");
        authRejections = meter.CreateCounter<long>(
            "roofkit.auth.rejections", "{request}",
            "Failed authentications, by the code answered: missing_api_key, invalid_api_key or auth_rate_limited.");
        // Buckets from the settle lag (5 s) past the warning threshold (300 s) to an hour: the range an operator acts on.
        watermarkLag = meter.CreateHistogram<double>(
            "roofkit.sync.watermark_lag", "s",
            "How far the sync watermark a run fixed lies behind the database's clock (settle lag, or an open transaction).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] });
    }

    public void RowsExported(int rows) => rowsExported.Add(rows);

    public void RateLimitRejected(string endpoint) =>
        rateLimitRejections.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void ExportConcurrencyRejected() => concurrencyRejections.Add(1);

    public void AuthenticationRejected(string code) =>
        authRejections.Add(1, new KeyValuePair<string, object?>("code", code));

    public void WatermarkLag(TimeSpan lag) => watermarkLag.Record(Math.Max(0, lag.TotalSeconds));
}
