using Npgsql;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// Both pools of an instance (control and read, ADR-007). Npgsql finds a broken pooled connection only when it is
/// used, so after an outage each idle connection would fail one more request; once a request meets the outage, the
/// idle connections of both pools are dropped and the next requests open fresh ones.
/// </summary>
public sealed class ConnectionPools(NpgsqlDataSource primary, ReadDataSource read) : IConnectionPools
{
    public void ClearIdleConnections()
    {
        primary.Clear();
        read.Clear();
    }
}
