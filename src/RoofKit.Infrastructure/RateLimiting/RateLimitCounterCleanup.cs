using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>
/// Deletes counters of windows that ended more than <see cref="Grace"/> ago, once a minute, in small batches, away from
/// the request path. A request writes the row of the window it arrived in, but its upsert may reach the table after
/// that window ended (it waited for a connection, or queued behind its bucket's last upsert): deleted by then, the
/// row would start again at 1 and let it through however full the window was. Kept for the grace, the row still
/// holds the window's count.
/// </summary>
public sealed class RateLimitCounterCleanup(NpgsqlDataSource primary, TimeProvider clock, ILogger<RateLimitCounterCleanup> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a counter is kept after its window ended: far longer than a hit is on its way. A hit waits for the
    /// upserts ahead of it in its bucket's queue (one per window the waiting hits arrived in), each bounded by a
    /// connection's wait and a command's timeout (38 s with the defaults); only a database that stalls for minutes
    /// while still answering would outlast it. A counter kept longer costs a row.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    /// <summary>
    /// One pass: deletes every counter whose window ended more than <see cref="Grace"/> before now (by the same clock
    /// that <see cref="RateLimitStore"/> uses to pick windows), in batches; returns how many rows went.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM rate_limit_counters
            WHERE ctid IN (SELECT ctid FROM rate_limit_counters WHERE expires_at < @EndedBefore LIMIT @BatchSize)
            """;
        var parameters = new DynamicParameters();
        parameters.Add("EndedBefore", clock.GetUtcNow().UtcDateTime - Grace);
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
