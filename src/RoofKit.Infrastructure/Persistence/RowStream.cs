using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// Rows streamed from one query and read to their end. Dapper's <c>QueryUnbufferedAsync</c> calls
/// <c>DbCommand.Cancel()</c> whenever its reader is still open as the enumeration ends, which it always is after the
/// last row; Npgsql answers that with a cancel request, a new TCP connection that PostgreSQL forks a backend for, on
/// every page (ADR-010). A reader disposed early here is drained by Npgsql instead; a cancelled token still cancels
/// the query.
/// </summary>
internal static class RowStream
{
    public static async IAsyncEnumerable<T> StreamAsync<T>(
        this NpgsqlConnection connection, string sql, object parameters, NpgsqlTransaction? transaction,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        var parse = reader.GetRowParser<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return parse(reader);
        }
    }
}
