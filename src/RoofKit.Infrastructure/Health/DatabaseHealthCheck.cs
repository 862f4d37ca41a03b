using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace RoofKit.Infrastructure.Health;

/// <summary>
/// One round trip through one of the instance's pools (control or read, ADR-007). A failure is described by the
/// exception's type only, with no exception attached: the health check service would log it with its stack trace
/// and server address on every probe of a load balancer.
/// </summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            // As after a request that met an outage (ConnectionPools): the next probe opens a fresh connection instead
            // of failing once more on a broken idle one after the database is back.
            dataSource.Clear();
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database did not answer ({e.GetType().Name}).");
        }
    }
}
