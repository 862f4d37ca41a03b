using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Sync;

/// <summary>
/// Deletes tombstones older than <c>Sync:DeletionRetentionDays</c>, hourly, in small batches. The deletions feed
/// answers 410 for a <c>from</c> before the same cut-off, so no client is ever given a page with holes in it.
/// </summary>
public sealed class DeletionRetentionPurge(
    NpgsqlDataSource primary,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<DeletionRetentionPurge> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>One pass: deletes every tombstone older than the retention; returns how many went.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM lead_deletions
            WHERE ctid IN (SELECT ctid FROM lead_deletions WHERE deleted_at < @Cutoff LIMIT @BatchSize)
            """;
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.DeletionRetentionDays);
        var parameters = new DynamicParameters();
        parameters.Add("Cutoff", cutoff);
        return await BatchedDelete.RunAsync(primary, sql, parameters, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Purging expired lead tombstones failed; it will run again in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
