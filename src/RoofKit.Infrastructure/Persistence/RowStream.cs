using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// Rows streamed from one query and read to their end, each by the caller's typed read of the reader's current row
/// (no value boxed, no mapping by name; ADR-010). Dapper's <c>QueryUnbufferedAsync</c> calls
/// <c>DbCommand.Cancel()</c> whenever its reader is still open as the enumeration ends, which it always is after the
/// last row; Npgsql answers that with a cancel request, a new TCP connection that PostgreSQL forks a backend for, on
/// every page (ADR-010). A reader disposed early here is drained by Npgsql instead; a cancelled token still cancels
/// the query. The columns flagged in <c>sentAsText</c> come in PostgreSQL's text format (<see cref="TextResultColumns"/>).
/// </summary>
internal static class RowStream
{
    public static async IAsyncEnumerable<T> StreamAsync<T>(
        this NpgsqlConnection connection, string sql, DynamicParameters parameters, bool[]? sentAsText, NpgsqlTransaction? transaction,
        Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        object arguments = sentAsText is null ? parameters : new TextResultColumns(parameters, sentAsText);
        await using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(sql, arguments, transaction, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return read(reader);
        }
    }
}
