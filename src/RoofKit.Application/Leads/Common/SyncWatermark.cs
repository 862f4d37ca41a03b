using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;

namespace RoofKit.Application.Leads.Common;

/// <summary>
/// Fixes a sync run's watermark (CONTRACT.md §6): <c>W = min(to, request time - settle lag, the database's clock,
/// start of the oldest transaction still open in the database)</c>, cut to the millisecond the API shows. Every row
/// that is not yet visible when W is fixed commits with a time at or after W, so a run that starts at
/// <c>from=W</c> finds it (ADR-006).
/// </summary>
public sealed class SyncWatermark(
    ISyncHorizon horizon,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<SyncWatermark> logger,
    RoofKitMetrics metrics)
{
    private static readonly TimeSpan WarningRepeat = TimeSpan.FromMinutes(1);
    private readonly Lock warned = new();
    private (int? Pid, DateTime Start, DateTime At)? lastWarning;

    public async Task<SyncWindow> FixAsync(DateTime? to, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var watermark = now - TimeSpan.FromSeconds(options.Value.SettleLagSeconds);
        var database = await horizon.ReadAsync(cancellationToken);
        watermark = Min(watermark, database.DatabaseNow);
        if (database.OldestTransactionStart is { } oldest)
        {
            watermark = Min(watermark, oldest);
            var lag = database.DatabaseNow - oldest;
            if (lag.TotalSeconds > options.Value.WatermarkLagWarningSeconds && ShouldWarn(database.OldestTransactionPid, oldest, now))
            {
                logger.LogWarning(
                    "Sync watermark held back {LagSeconds:F0} s by a transaction open since {TransactionStart:O} (backend pid {Pid}); "
                    + "incremental sync will not pass it until it ends",
                    lag.TotalSeconds, oldest, database.OldestTransactionPid);
            }
        }

        watermark = TruncateToMilliseconds(watermark);
        // The lag of the window itself; a client's own `to` is its choice, not a lag.
        metrics.WatermarkLag(database.DatabaseNow - watermark);
        // to is inclusive and kept as given: cutting it could only make the next run start a little early, never late.
        return new SyncWindow(to is { } t && t < watermark ? t : watermark, database.WalPosition);
    }

    /// <summary>
    /// Once per transaction that holds the watermark back, and again each minute it still does: every first page
    /// meets the same transaction, and one line a request would bury the news in the log.
    /// </summary>
    private bool ShouldWarn(int? pid, DateTime start, DateTime now)
    {
        lock (warned)
        {
            if (lastWarning is { } last && last.Pid == pid && last.Start == start && now - last.At < WarningRepeat)
            {
                return false;
            }

            lastWarning = (pid, start, now);
            return true;
        }
    }

    private static DateTime Min(DateTime a, DateTime b) => a <= b ? a : b;

    private static DateTime TruncateToMilliseconds(DateTime t) =>
        new(t.Ticks - (t.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
}
