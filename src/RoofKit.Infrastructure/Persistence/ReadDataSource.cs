using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// The read side's data source, a pool of its own (ADR-007): on the replica when <c>ConnectionStrings:ReadReplica</c>
/// is set, else on the primary. However busy it is, the control pool (keys, counters) still has its connections.
/// With a replica, a sync page is served there only once the replica has replayed the primary's WAL up to the
/// position its run's watermark was fixed at; a replica that does not get there within
/// <c>Database:ReplicaWaitMilliseconds</c> is passed over for the primary (<paramref name="primaryFallback"/>, a read
/// pool of its own on the primary), so a lagging replica costs time, never a row (ADR-011).
/// </summary>
public sealed class ReadDataSource(
    NpgsqlDataSource dataSource,
    NpgsqlDataSource? primaryFallback = null,
    TimeSpan replicaWait = default,
    ILogger<ReadDataSource>? logger = null)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    // Replaying a commit record makes it visible on the standby before pg_last_wal_replay_lsn() moves past it, and the
    // check runs as a statement of its own, before the statement (or transaction) whose snapshot serves the page.
    private const string ReplayedSql = """
        SELECT CASE WHEN pg_is_in_recovery() THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END
        """;

    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>
    /// One query's rows (<see cref="RowStream"/>), on a connection of their own from <see cref="OpenConnectionAsync"/>
    /// that goes back to the pool when the enumeration ends or is disposed. With <paramref name="planEachExecution"/>,
    /// the query runs in a transaction of its own that has PostgreSQL plan it for its values, never from a cached
    /// generic plan (<see cref="PlanCache"/>).
    /// </summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(
        long readAfterWal, string sql, DynamicParameters parameters, bool[]? sentAsText, Func<DbDataReader, T> read, bool planEachExecution,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(readAfterWal, cancellationToken);
        await using var transaction = planEachExecution ? await connection.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            await PlanCache.PlanEachExecutionAsync(connection, transaction, cancellationToken);
        }

        await foreach (var row in connection.StreamAsync(sql, parameters, sentAsText, transaction, read, cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>Drops the idle connections of the read pools, the primary fallback's too (after an outage).</summary>
    public void Clear()
    {
        DataSource.Clear();
        primaryFallback?.Clear();
    }

    /// <summary>True when reads go to a replica (and the sync window must wait for its replay).</summary>
    public bool IsReplica => primaryFallback is not null;

    /// <summary>
    /// A connection whose next snapshot holds every transaction committed on the primary before WAL position
    /// <paramref name="readAfterWal"/> (0: any connection of the read pool will do).
    /// </summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync(long readAfterWal, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        if (primaryFallback is null || readAfterWal <= 0)
        {
            return connection;
        }

        try
        {
            var deadline = DateTime.UtcNow + replicaWait;
            while (true)
            {
                var replayed = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(ReplayedSql, cancellationToken: cancellationToken));
                // NULL: not in recovery (promoted, or the "replica" is a primary): it has everything it ever received.
                if (replayed is null || replayed.Value >= readAfterWal)
                {
                    return connection;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    logger?.LogWarning(
                        "The read replica has replayed the WAL to {Replayed} but a sync page needs {Required} ({LagBytes} bytes behind); "
                        + "serving it from the primary",
                        replayed.Value, readAfterWal, readAfterWal - replayed.Value);
                    break;
                }

                await Task.Delay(Poll, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return await primaryFallback.OpenConnectionAsync(cancellationToken);
    }
}
