using Dapper;
using Npgsql;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>
/// Fixed windows aligned to the clock, counted in PostgreSQL with one atomic upsert, so every API instance
/// sees one count: of N concurrent requests against a bucket with R left, exactly R are allowed.
/// </summary>
public sealed class RateLimitStore(NpgsqlDataSource primary, TimeProvider clock) : IRateLimitStore
{
    public async Task<RateLimitDecision> HitAsync(string bucket, RateLimitRule rule, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO rate_limit_counters AS c (bucket, window_start, hits, expires_at)
            VALUES (@Bucket, @WindowStart, 1, @WindowEnd)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + 1
            RETURNING hits
            """;
        var window = TimeSpan.FromSeconds(Math.Max(1, rule.WindowSeconds));
        var now = clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - (now.Ticks % window.Ticks), DateTimeKind.Utc);
        var end = start + window;

        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var hits = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            sql, new { Bucket = bucket, WindowStart = start, WindowEnd = end }, cancellationToken: cancellationToken));
        return new RateLimitDecision(rule.PermitLimit, Math.Max(0, rule.PermitLimit - hits), end, hits <= rule.PermitLimit);
    }
}
