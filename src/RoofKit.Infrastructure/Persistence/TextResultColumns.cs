using System.Data;
using Dapper;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// A query's parameters, and the result columns PostgreSQL is asked to send in its text format instead of binary
/// (<see cref="NpgsqlCommand.UnknownResultTypeList"/>). For a <c>text</c> column the bytes on the wire are the same
/// UTF-8 either way, but the binary send function builds a buffer per value; the text one does not (ADR-010: 0.2-0.25 µs
/// of PostgreSQL's CPU per exported row). Only text columns belong in the list: a column of another type would arrive
/// in its text form and its typed read would fail. Output parameters are not supported (none is used).
/// </summary>
internal sealed class TextResultColumns(DynamicParameters parameters, bool[] sentAsText) : SqlMapper.IDynamicParameters
{
    public void AddParameters(IDbCommand command, SqlMapper.Identity identity)
    {
        ((SqlMapper.IDynamicParameters)parameters).AddParameters(command, identity);
        var npgsql = command as NpgsqlCommand
            ?? throw new InvalidOperationException($"Text result columns need an NpgsqlCommand, not {command.GetType().Name}.");
        npgsql.UnknownResultTypeList = sentAsText;
    }
}
