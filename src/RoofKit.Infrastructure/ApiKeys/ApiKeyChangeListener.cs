using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace RoofKit.Infrastructure.ApiKeys;

/// <summary>
/// Holds one connection to the primary that LISTENs on <c>roofkit_api_keys</c> (migration 0005) and empties
/// <see cref="ApiKeyCache"/> on each notification. The connection is checked every
/// <see cref="ApiKeyCacheOptions.ListenerProbeSeconds"/> when quiet; when it fails, the cache is switched off until a
/// new connection listens again, so a revocation is never missed for longer than the cache's maximum age.
/// </summary>
public sealed class ApiKeyChangeListener(
    NpgsqlDataSource primary, ApiKeyCache cache, IOptions<ApiKeyCacheOptions> options, ILogger<ApiKeyChangeListener> logger)
    : BackgroundService
{
    public const string Channel = "roofkit_api_keys";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.CacheMaxAgeSeconds <= 0)
        {
            return;
        }

        var probe = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.ListenerProbeSeconds));
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await primary.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => cache.Invalidate();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.SetListening(true);
                if (failures > 0)
                {
                    logger.LogInformation("Listening for API key changes again; the key cache is back on");
                }

                failures = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(probe, stoppingToken))
                    {
                        // Quiet: make sure the connection is still there, since a dropped one would never say so.
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
            {
                if (failures++ == 0)
                {
                    logger.LogWarning("Not listening for API key changes ({Reason}); keys are read on every request until it is back",
                        e.GetBaseException().Message);
                }
            }

            cache.SetListening(false);
            try
            {
                await Task.Delay(RetryDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        cache.SetListening(false);
    }
}
