using Dapper;
using Npgsql;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Infrastructure.Sync;

/// <summary>
/// Reads <c>sync_horizon()</c> (migration 0002) on the primary, where writers' transactions are. The function is
/// SECURITY DEFINER so that it sees every session's <c>xact_start</c> whatever role the API connects as; each call
/// runs in a transaction of its own, because PostgreSQL snapshots the activity view once per transaction.
/// </summary>
public sealed class SyncHorizonReader(NpgsqlDataSource primary) : ISyncHorizon
{
    public async Task<SyncHorizon> ReadAsync(CancellationToken cancellationToken)
    {
        const string sql = "SELECT db_now AS DatabaseNow, oldest_xact_start AS OldestTransactionStart, oldest_pid AS OldestTransactionPid FROM sync_horizon()";
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        return new SyncHorizon(row.DatabaseNow, row.OldestTransactionStart, row.OldestTransactionPid);
    }

    private sealed record Row(DateTime DatabaseNow, DateTime? OldestTransactionStart, int? OldestTransactionPid);
}
