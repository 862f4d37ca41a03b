using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Infrastructure.Exports;

/// <summary>
/// Export slots as leases in PostgreSQL (<c>claim_export_lease</c>, migration 0004), so every instance counts the
/// same slots. Claims run on the control pool, never waiting behind data reads.
/// </summary>
public sealed class ExportSlots(
    NpgsqlDataSource primary, IOptions<ExportOptions> options, ILogger<ExportSlots> logger, RoofKitMetrics metrics) : IExportSlots
{
    public async Task<IAsyncDisposable?> TryClaimAsync(Guid workspaceId, CancellationToken cancellationToken)
    {
        var lease = Guid.NewGuid();
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var claimed = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT claim_export_lease(@WorkspaceId, @Lease, @Max, @LeaseSeconds)",
            new { WorkspaceId = workspaceId, Lease = lease, Max = options.Value.MaxConcurrentPerWorkspace, LeaseSeconds = options.Value.SlotLeaseSeconds },
            cancellationToken: cancellationToken));
        if (!claimed)
        {
            metrics.ExportConcurrencyRejected();
            return null;
        }

        return new Slot(this, lease);
    }

    private async Task ReleaseAsync(Guid lease)
    {
        try
        {
            await using var connection = await primary.OpenConnectionAsync();
            await connection.ExecuteAsync("DELETE FROM export_leases WHERE lease_id = @lease", new { lease });
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The lease runs out by itself; until then the workspace has one slot fewer.
            logger.LogWarning("Could not release export slot {Lease} ({Error}); it expires in {Seconds} s",
                lease, ex.GetType().Name, options.Value.SlotLeaseSeconds);
        }
    }

    private sealed class Slot(ExportSlots owner, Guid lease) : IAsyncDisposable
    {
        private int released;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref released, 1) == 0 ? new ValueTask(owner.ReleaseAsync(lease)) : ValueTask.CompletedTask;
    }
}
