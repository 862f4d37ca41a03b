using Dapper;
using Npgsql;
using RoofKit.Domain.Workspaces;

namespace RoofKit.Infrastructure.Workspaces;

/// <summary>The operator's side of workspaces (the admin CLI); partners never reach this.</summary>
public sealed class WorkspaceAdmin(NpgsqlDataSource primary)
{
    public async Task<Workspace> CreateAsync(string slug, string name, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO workspaces (id, slug, name) VALUES (@Id, @Slug, @Name)
            RETURNING id AS Id, slug AS Slug, name AS Name, status AS Status, created_at AS CreatedAt
            """;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<WorkspaceRow>(new CommandDefinition(
            sql, new { Id = Guid.CreateVersion7(), Slug = slug, Name = name }, cancellationToken: cancellationToken));
        return row.ToWorkspace();
    }

    public async Task<Workspace?> FindAsync(string slug, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id AS Id, slug AS Slug, name AS Name, status AS Status, created_at AS CreatedAt
            FROM workspaces WHERE slug = @Slug
            """;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<WorkspaceRow>(
            new CommandDefinition(sql, new { Slug = slug }, cancellationToken: cancellationToken));
        return row?.ToWorkspace();
    }

    public async Task<bool> SetStatusAsync(string slug, WorkspaceStatus status, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE workspaces SET status = @Status WHERE slug = @Slug";
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            sql, new { Slug = slug, Status = status.ToDatabase() }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<(Workspace Workspace, long Leads)>> ListAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT w.id AS Id, w.slug AS Slug, w.name AS Name, w.status AS Status, w.created_at AS CreatedAt,
                   (SELECT count(*) FROM leads l WHERE l.workspace_id = w.id) AS Leads
            FROM workspaces w ORDER BY w.slug
            """;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WorkspaceRow>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        return rows.Select(r => (r.ToWorkspace(), r.Leads)).ToList();
    }

    private sealed class WorkspaceRow
    {
        public Guid Id { get; init; }

        public string Slug { get; init; } = "";

        public string Name { get; init; } = "";

        public string Status { get; init; } = "";

        public DateTime CreatedAt { get; init; }

        public long Leads { get; init; }

        public Workspace ToWorkspace() => new(Id, Slug, Name, WorkspaceStatusNames.Parse(Status), CreatedAt);
    }
}
