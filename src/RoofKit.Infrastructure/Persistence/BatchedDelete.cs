using Dapper;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// Housekeeping deletes (ended rate-limit windows, expired tombstones) in batches of <see cref="BatchSize"/> rows,
/// each its own short transaction, so a large backlog never holds locks or a snapshot for long.
/// </summary>
public static class BatchedDelete
{
    public const int BatchSize = 5000;

    /// <summary>
    /// Runs <paramref name="sql"/> until it deletes fewer than a batch; it must take <c>@BatchSize</c> as its
    /// LIMIT. Returns the rows deleted in all.
    /// </summary>
    public static async Task<int> RunAsync(
        NpgsqlDataSource dataSource, string sql, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        parameters.Add("BatchSize", BatchSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == BatchSize);
        return total;
    }
}
