using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Health;

/// <summary>
/// Ready only when DbUp's journal (<c>schemaversions</c>) lists every migration this build embeds: an instance of a
/// newer build than its database would answer with errors until <c>migrate</c> has run.
/// </summary>
public sealed class MigrationsHealthCheck(NpgsqlDataSource primary) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var expected = DatabaseMigrator.ScriptNames;
        try
        {
            await using var connection = await primary.OpenConnectionAsync(cancellationToken);
            var applied = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT count(DISTINCT scriptname)::int FROM schemaversions WHERE scriptname = ANY(@expected)",
                new { expected = expected.ToArray() },
                cancellationToken: cancellationToken));
            return applied == expected.Count
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"{expected.Count - applied} of {expected.Count} migrations not applied.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "No migration applied.");
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database did not answer ({e.GetType().Name}).");
        }
    }
}
