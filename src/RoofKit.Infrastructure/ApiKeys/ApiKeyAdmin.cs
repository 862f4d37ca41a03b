using Dapper;
using Npgsql;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Infrastructure.ApiKeys;

/// <summary>A key as the operator sees it: never its secret.</summary>
public sealed class ApiKeySummary
{
    public Guid Id { get; init; }

    public string PublicId { get; init; } = "";

    public string Workspace { get; init; } = "";

    public string Name { get; init; } = "";

    public string[] Scopes { get; init; } = [];

    public DateTime CreatedAt { get; init; }

    public DateTime? LastUsedAt { get; init; }

    public DateTime? RevokedAt { get; init; }

    public DateTime? DeletedAt { get; init; }

    public string State => DeletedAt is not null ? "deleted" : RevokedAt is not null ? "revoked" : "active";
}

/// <summary>Issues, lists, revokes and deletes API keys for the admin CLI. Only the secret's hash is stored.</summary>
public sealed class ApiKeyAdmin(NpgsqlDataSource primary)
{
    /// <summary>Creates a key and returns its full text, which exists nowhere else afterwards.</summary>
    public async Task<(ApiKeySummary Key, string Token)> CreateAsync(
        Guid workspaceId, string name, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        var unknown = scopes.Except(Scopes.All).ToList();
        if (unknown.Count > 0 || scopes.Count == 0)
        {
            throw new ArgumentException($"Scopes must be one or more of: {string.Join(", ", Scopes.All)}.", nameof(scopes));
        }

        var token = ApiKeyToken.Generate();
        const string sql = """
            INSERT INTO api_keys (id, workspace_id, public_id, secret_hash, name, scopes)
            VALUES (@Id, @WorkspaceId, @PublicId, @SecretHash, @Name, @Scopes)
            """;
        var id = Guid.CreateVersion7();
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            Id = id,
            WorkspaceId = workspaceId,
            token.PublicId,
            SecretHash = token.SecretHash(),
            Name = name,
            Scopes = scopes.Distinct().ToArray(),
        }, cancellationToken: cancellationToken));
        var summary = (await ListAsync(null, cancellationToken)).Single(k => k.Id == id);
        return (summary, token.Text);
    }

    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(string? workspaceSlug, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT k.id AS Id, k.public_id AS PublicId, w.slug AS Workspace, k.name AS Name, k.scopes AS Scopes,
                   k.created_at AS CreatedAt, k.last_used_at AS LastUsedAt, k.revoked_at AS RevokedAt, k.deleted_at AS DeletedAt
            FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
            WHERE @Slug::text IS NULL OR w.slug = @Slug
            ORDER BY w.slug, k.created_at
            """;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeySummary>(
            new CommandDefinition(sql, new { Slug = workspaceSlug }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Revokes a key given by its id or public id; false when no such live key exists.</summary>
    public Task<bool> RevokeAsync(string key, CancellationToken cancellationToken) =>
        StampAsync("revoked_at", key, cancellationToken);

    /// <summary>Deletes a key (kept as a tombstone so its id is never reused); false when no such key exists.</summary>
    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        StampAsync("deleted_at", key, cancellationToken);

    private async Task<bool> StampAsync(string column, string key, CancellationToken cancellationToken)
    {
        // column is one of two constants above, never input.
        var sql = $"""
            UPDATE api_keys SET {column} = now()
            WHERE {column} IS NULL AND deleted_at IS NULL
              AND (public_id = @Key OR id::text = @Key OR @Key LIKE 'rk_live_' || public_id || '%')
            """;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { Key = key }, cancellationToken: cancellationToken)) > 0;
    }
}
