using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Infrastructure.ApiKeys;

/// <summary>
/// Keys are read from the primary and kept in <see cref="ApiKeyCache"/> for a few seconds at most, and only while
/// the instance hears of every key and workspace change (ADR-010), so a revoked or deleted key stops working on
/// every instance as soon as the change is committed.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource primary, ApiKeyCache cache, TimeProvider clock, ILogger<ApiKeyStore> logger)
    : IApiKeyStore
{
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, DateTime> lastTouched = new();

    public async Task<StoredApiKey?> FindAsync(string publicId, CancellationToken cancellationToken)
    {
        if (cache.TryGet(publicId, out var cached))
        {
            return cached;
        }

        var generation = cache.Generation;
        var readAt = clock.GetUtcNow();
        const string sql = """
            SELECT k.id AS Id, k.workspace_id AS WorkspaceId, k.secret_hash AS SecretHash, k.scopes AS Scopes,
                   w.status AS WorkspaceStatus, k.revoked_at IS NOT NULL AS Revoked, k.deleted_at IS NOT NULL AS Deleted
            FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
            WHERE k.public_id = @PublicId
            """;
        StoredApiKey? key;
        await using (var connection = await primary.OpenConnectionAsync(cancellationToken))
        {
            key = await connection.QuerySingleOrDefaultAsync<StoredApiKey>(
                new CommandDefinition(sql, new { PublicId = publicId }, cancellationToken: cancellationToken));
        }

        // Unknown keys are not kept: guessing must not fill the cache, and each failure reads and counts anyway.
        if (key is not null)
        {
            cache.Add(publicId, key, readAt, generation);
        }

        return key;
    }

    public void MarkUsed(Guid keyId)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (lastTouched.TryGetValue(keyId, out var last) && now - last < TouchInterval)
        {
            return;
        }

        lastTouched[keyId] = now;

        // Off the request's path: the caller does not wait for this write, and its failure is only logged.
        _ = Task.Run(async () =>
        {
            const string sql = """
                UPDATE api_keys SET last_used_at = now()
                WHERE id = @Id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                """;
            try
            {
                await using var connection = await primary.OpenConnectionAsync();
                await connection.ExecuteAsync(sql, new { Id = keyId });
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(ex, "Could not record last use of API key {KeyId}", keyId);
            }
        });
    }
}
