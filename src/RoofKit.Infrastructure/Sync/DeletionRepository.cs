using Dapper;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Sync;

/// <summary>Keyset pages of a workspace's tombstones on the primary key (workspace_id, deleted_at, id).</summary>
public sealed class DeletionRepository(ReadDataSource read) : IDeletionRepository
{
    public IAsyncEnumerable<LeadDeletion> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("WorkspaceId", request.WorkspaceId);
        parameters.Add("UpTo", request.UpTo);
        var where = "d.workspace_id = @WorkspaceId AND d.deleted_at <= @UpTo";
        if (request.Filter.From is { } from)
        {
            where += " AND d.deleted_at >= @From";
            parameters.Add("From", from);
        }

        if (request.After is { } after)
        {
            where += " AND (d.deleted_at, d.id) > (@AfterAt, @AfterId)";
            parameters.Add("AfterAt", after.UpdatedAt);
            parameters.Add("AfterId", after.Id);
        }

        var sql = $"""
            SELECT d.id, d.deleted_at
            FROM lead_deletions d
            WHERE {where}
            ORDER BY d.deleted_at, d.id
            LIMIT {PlanCache.Limit(request.Limit + 1)}
            """;
        return read.StreamAsync(
            request.ReadAfterWal, sql, parameters, sentAsText: null, static row => new LeadDeletion(row.GetGuid(0), row.GetDateTime(1)), planEachExecution: false, cancellationToken);
    }
}
