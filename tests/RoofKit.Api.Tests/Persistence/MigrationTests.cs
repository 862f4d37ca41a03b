using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RoofKit.Infrastructure.Persistence;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Persistence;

public sealed class MigrationTests
{
    [Test]
    public async Task ShouldApplyToAnEmptyDatabaseAndThenDoNothingTheSecondTime()
    {
        // TestDatabase.CreateAsync applies the migrations once to a new, empty database.
        await using var database = await TestDatabase.CreateAsync("roofkit_migrate");

        var second = new DatabaseMigrator(database.ConnectionString, NullLogger<DatabaseMigrator>.Instance).Migrate();

        second.Should().BeEmpty();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToList();
        tables.Should().Contain(["workspaces", "status_stages", "leads", "api_keys", "rate_limit_counters"]);
        var indexes = (await connection.QueryAsync<string>("SELECT indexdef FROM pg_indexes WHERE tablename = 'leads'")).ToList();
        indexes.Should().Contain(i => i.Contains("(workspace_id, updated_at, id)"));
        indexes.Should().Contain(i => i.Contains("leads_workspace_search_text_trgm") && i.Contains("USING gin (workspace_id, search_text gin_trgm_ops)"));
        indexes.Should().NotContain(i => i.Contains("leads_search_text_trgm "), "0003 replaces the trigram-only index");
    }

    [Test]
    public async Task ShouldKeepUpdatedAtCurrentWithATrigger()
    {
        await using var database = await TestDatabase.CreateAsync("roofkit_trigger");
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var ws = Guid.NewGuid();
        await connection.ExecuteAsync("INSERT INTO workspaces (id, slug, name) VALUES (@ws, 'trigger', 'Trigger')", new { ws });
        var id = Guid.NewGuid();
        await connection.ExecuteAsync(
            "INSERT INTO leads (id, workspace_id, first_name, created_at, updated_at) VALUES (@id, @ws, 'A', '2025-01-01Z', '2025-01-01Z')",
            new { id, ws });

        await connection.ExecuteAsync("UPDATE leads SET first_name = 'B' WHERE id = @id", new { id });

        var updated = await connection.QuerySingleAsync<DateTime>("SELECT updated_at FROM leads WHERE id = @id", new { id });
        updated.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(1));
    }
}
