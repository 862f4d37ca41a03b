using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using RoofKit.Application.Common.Metrics;

namespace RoofKit.Api.Observability;

/// <summary>
/// OpenTelemetry metrics: ASP.NET Core's meters (hosting, Kestrel, routing, diagnostics), the .NET runtime's, Npgsql's
/// own (connection pools by data source name, commands) and ours (<see cref="RoofKitMetrics"/>), kept for a Prometheus
/// scrape (<see cref="MetricsListener"/>). No HttpClient instrumentation: the API calls no other service.
/// </summary>
public static class MetricsSetup
{
    /// <summary>The <c>service_name</c> of <c>target_info</c>.</summary>
    public const string ServiceName = "roofkit-api";

    public static IServiceCollection AddRoofKitMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MetricsOptions>(configuration.GetSection(MetricsOptions.SectionName));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(RoofKitMetrics.MeterName)
                // One local scraper: an answer cached between scrapes would only hide the latest requests from it.
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        services.AddHostedService<MetricsListener>();
        return services;
    }
}
