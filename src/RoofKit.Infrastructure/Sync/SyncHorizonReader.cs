using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Sync;

/// <summary>
/// Reads <c>sync_horizon()</c> (migration 0002) on the primary, where writers' transactions are. The function is
/// SECURITY DEFINER so that it sees every session's <c>xact_start</c> whatever role the API connects as; each call
/// runs in a transaction of its own, because PostgreSQL snapshots the activity view once per transaction.
/// One reading serves every first page of the next <c>Sync:HorizonMaxAgeMilliseconds</c>: a reading taken before a
/// page's query is as safe as one taken at it, since its <c>db_now</c> bounds the watermark (ADR-006).
/// With a read replica it also reads the primary's WAL insert position, in a statement after the horizon's: every
/// transaction that had ended when the horizon was read has its commit record below that position, which the
/// replica must have replayed before it serves the run (ADR-011).
/// </summary>
public sealed class SyncHorizonReader(NpgsqlDataSource primary, ReadDataSource read, IOptions<SyncOptions> options) : ISyncHorizon
{
    private readonly Lock gate = new();
    private Task<SyncHorizon>? reading;
    private long readingStarted;

    public Task<SyncHorizon> ReadAsync(CancellationToken cancellationToken)
    {
        var maxAge = TimeSpan.FromMilliseconds(options.Value.HorizonMaxAgeMilliseconds);
        if (maxAge <= TimeSpan.Zero)
        {
            return ReadFreshAsync(cancellationToken);
        }

        lock (gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (reading is null || reading.IsFaulted || reading.IsCanceled || Stopwatch.GetElapsedTime(readingStarted, now) >= maxAge)
            {
                // Shared by every caller until it ages out, so no one caller's cancellation may end it.
                reading = ReadFreshAsync(CancellationToken.None);
                readingStarted = now;
            }

            return reading.WaitAsync(cancellationToken);
        }
    }

    private async Task<SyncHorizon> ReadFreshAsync(CancellationToken cancellationToken)
    {
        const string sql = "SELECT db_now AS DatabaseNow, oldest_xact_start AS OldestTransactionStart, oldest_pid AS OldestTransactionPid FROM sync_horizon()";
        // pg_current_wal_insert_lsn(), not pg_current_wal_lsn(): with asynchronous commit a transaction is visible
        // once its commit record is inserted, before it is written out.
        const string walSql = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        var wal = read.IsReplica
            ? await connection.ExecuteScalarAsync<long>(new CommandDefinition(walSql, cancellationToken: cancellationToken))
            : 0;
        return new SyncHorizon(row.DatabaseNow, row.OldestTransactionStart, row.OldestTransactionPid, wal);
    }

    private sealed record Row(DateTime DatabaseNow, DateTime? OldestTransactionStart, int? OldestTransactionPid);
}
