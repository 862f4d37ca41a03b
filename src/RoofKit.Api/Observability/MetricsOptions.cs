namespace RoofKit.Api.Observability;

/// <summary>
/// The <c>Metrics</c> section: where Prometheus scrapes <c>/metrics</c>. It is a listener of its own, apart from the
/// partner URLs, so that the partner port never serves metrics and the metrics port never serves the Partner API.
/// </summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    public const string Path = "/metrics";

    /// <summary>Serve <c>/metrics</c> (default true). Off, the instruments still count, but nothing serves them.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The interface to listen on: loopback by default; <c>0.0.0.0</c> or <c>*</c> for a Prometheus elsewhere.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port of <c>/metrics</c> (default 9464, the Prometheus exporter's conventional port).</summary>
    public int Port { get; set; } = 9464;

    public string Url => $"http://{Host}:{Port}";
}
