using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>
/// Deletes counters of windows that have ended, once a minute, in small batches, away from the request path.
/// Requests only ever write the row of the current window, so the rows deleted here are rows no request waits on.
/// </summary>
public sealed class RateLimitCounterCleanup(NpgsqlDataSource primary, TimeProvider clock, ILogger<RateLimitCounterCleanup> logger)
    : BackgroundService
{
    private const int BatchSize = 5000;
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
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                sql, new { Now = now, BatchSize }, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == BatchSize);
        return total;
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
