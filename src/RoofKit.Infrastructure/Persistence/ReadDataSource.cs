using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// The read side's data source, a pool of its own (ADR-007): on the replica when <c>ConnectionStrings:ReadReplica</c>
/// is set, else on the primary. However busy it is, the control pool (keys, counters) still has its connections.
/// </summary>
public sealed class ReadDataSource(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;
}
