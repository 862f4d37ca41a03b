using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>
/// Deletes counters of windows that have ended, once a minute, in small batches, away from the request path.
/// Requests only ever write the row of the current window, so the rows deleted here are rows no request waits on.
/// </summary>
public sealed class RateLimitCounterCleanup(NpgsqlDataSource primary, TimeProvider clock, ILogger<RateLimitCounterCleanup> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// One pass: deletes every counter whose window ended before now (by the same clock that
    /// <see cref="RateLimitStore"/> uses to pick windows), in batches; returns how many rows went.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM rate_limit_counters
            WHERE ctid IN (SELECT ctid FROM rate_limit_counters WHERE expires_at < @Now LIMIT @BatchSize)
            """;
        var parameters = new DynamicParameters();
        parameters.Add("Now", clock.GetUtcNow().UtcDateTime);
        return await BatchedDelete.RunAsync(primary, sql, parameters, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await DeleteExpiredAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Rate-limit counter cleanup failed; it will run again in a minute");
            }
        }
    }
}
