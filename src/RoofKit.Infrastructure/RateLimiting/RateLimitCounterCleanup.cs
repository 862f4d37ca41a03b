using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>Deletes counters of windows that have ended, in small batches, away from the request path.</summary>
public sealed class RateLimitCounterCleanup(NpgsqlDataSource primary, ILogger<RateLimitCounterCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        const string sql = """
            DELETE FROM rate_limit_counters
            WHERE ctid IN (SELECT ctid FROM rate_limit_counters WHERE expires_at < now() LIMIT 5000)
            """;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(60));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = await primary.OpenConnectionAsync(stoppingToken);
                int deleted;
                do
                {
                    deleted = await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: stoppingToken));
                }
                while (deleted == 5000);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Rate-limit counter cleanup failed; it will run again in a minute");
            }
        }
    }
}
