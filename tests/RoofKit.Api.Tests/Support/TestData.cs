using Dapper;
using Npgsql;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Infrastructure.Seeding;
using RoofKit.Infrastructure.Workspaces;

namespace RoofKit.Api.Tests.Support;

/// <summary>Workspaces, keys and leads written straight to the test database through the production admin code.</summary>
public sealed class TestData(NpgsqlDataSource db)
{
    public NpgsqlDataSource Db { get; } = db;

    public async Task<Workspace> WorkspaceAsync(WorkspaceStatus status = WorkspaceStatus.Active)
    {
        var admin = new WorkspaceAdmin(Db);
        var workspace = await admin.CreateAsync($"ws-{Guid.NewGuid():N}"[..20], "Test Roofing", CancellationToken.None);
        await new LeadSeeder(Db).EnsureStagesAsync(workspace.Id, CancellationToken.None);
        if (status != WorkspaceStatus.Active)
        {
            await admin.SetStatusAsync(workspace.Slug, status, CancellationToken.None);
        }

        return workspace with { Status = status };
    }

    public async Task<(Guid Id, string Token)> KeyAsync(Guid workspaceId, params string[] scopes)
    {
        var (key, token) = await new ApiKeyAdmin(Db).CreateAsync(
            workspaceId, "test key", scopes.Length == 0 ? Scopes.All : scopes, CancellationToken.None);
        return (key.Id, token);
    }

    public Task<long> SeedAsync(Guid workspaceId, int leads, int seed = 1) =>
        new LeadSeeder(Db).SeedAsync(workspaceId, leads, seed, null, CancellationToken.None);

    public async Task<IReadOnlyList<(Guid Id, string Name)>> StagesAsync(Guid workspaceId) =>
        await new LeadSeeder(Db).EnsureStagesAsync(workspaceId, CancellationToken.None);

    /// <summary>Inserts one lead with the given fields; returns its id.</summary>
    public async Task<Guid> LeadAsync(
        Guid workspaceId,
        DateTime updatedAt,
        string? firstName = "Pat",
        string? lastName = "Lee",
        string? email = null,
        string? source = "google",
        string? medium = "cpc",
        string? campaign = "spring",
        string? notes = null,
        Guid? stageId = null,
        string? phone = "+15125550100",
        string? street = "1 Main St",
        string? city = "Austin",
        string? postalCode = "78701",
        string? region = "TX")
    {
        var id = Guid.NewGuid();
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                               source, medium, campaign, status_stage_id, notes, created_at, updated_at)
            VALUES (@id, @workspaceId, @firstName, @lastName, @email, @phone, @street, @city, @region, @postalCode,
                    @source, @medium, @campaign, @stageId, @notes, @updatedAt, @updatedAt)
            """, new { id, workspaceId, firstName, lastName, email, phone, street, city, region, postalCode, source, medium, campaign, stageId, notes, updatedAt });
        return id;
    }
}
