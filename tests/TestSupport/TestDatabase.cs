using Npgsql;
using Respawn;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Testing;

/// <summary>
/// A real PostgreSQL database of its own for one test assembly, on the throwaway server that `make test`
/// starts (ROOFKIT_TEST_DATABASE_URL), migrated by the production migrator. Respawn empties it between fixtures.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string adminConnectionString;
    private Respawner? respawner;

    private TestDatabase(string adminConnectionString, string name)
    {
        this.adminConnectionString = adminConnectionString;
        Name = name;
        var builder = ConnectionStrings.Parse(adminConnectionString);
        builder.Database = name;
        builder.Pooling = true;
        ConnectionString = builder.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static string AdminConnectionString =>
        ConnectionStrings.Parse(Environment.GetEnvironmentVariable("ROOFKIT_TEST_DATABASE_URL")
            ?? throw new InvalidOperationException(
                "ROOFKIT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL."))
            .ConnectionString;

    /// <summary>A new database; migrated unless <paramref name="migrated"/> is false (a database without the API's tables).</summary>
    public static async Task<TestDatabase> CreateAsync(string prefix, bool migrated = true)
    {
        var admin = AdminConnectionString;
        var name = $"{prefix}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var database = new TestDatabase(admin, name);
        if (migrated)
        {
            new DatabaseMigrator(database.ConnectionString, Microsoft.Extensions.Logging.Abstractions.NullLogger<DatabaseMigrator>.Instance).Migrate();
        }

        return database;
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        respawner ??= await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            SchemasToInclude = ["public"],
            TablesToIgnore = [new Respawn.Graph.Table("schemaversions")],
        });
        await respawner.ResetAsync(connection);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
