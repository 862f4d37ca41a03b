using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace RoofKit.Api.Observability;

/// <summary>
/// Serves the API's meter provider as Prometheus text at <see cref="MetricsOptions.Url"/><c>/metrics</c>, on a small
/// Kestrel host of its own: adding a port to the API's own Kestrel would override the <c>--urls</c> it is started with.
/// A port that is taken (two instances on one host) costs the metrics of this instance, with a warning, not its start.
/// </summary>
public sealed class MetricsListener(MeterProvider meterProvider, IOptions<MetricsOptions> options, ILogger<MetricsListener> logger)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls(settings.Url);
        // The API's host owns Ctrl+C and SIGTERM, and stops this one with it (StopAsync).
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider, predicate: null, path: MetricsOptions.Path, configureBranchedPipeline: null, optionsName: null);
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

        try
        {
            await app.StartAsync(cancellationToken);
            server = app;
            logger.LogInformation("Metrics for Prometheus at {Url}{Path}", settings.Url, MetricsOptions.Path);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            logger.LogWarning(
                "Metrics are not served: cannot listen on {Url} ({Reason}). Give each instance its own Metrics:Port, or set Metrics:Enabled=false",
                settings.Url, e.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null)
        {
            await server.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }

    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
