using Dapper;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;
using RoofKit.Domain.Leads;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Leads;

public sealed class StatusStageRepository(ReadDataSource read) : IStatusStageRepository
{
    public async Task<IReadOnlyList<StatusStage>> ListAsync(Guid workspaceId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, name, position, kind
            FROM status_stages
            WHERE workspace_id = @WorkspaceId
            ORDER BY position
            LIMIT @MaxStages
            """;
        await using var connection = await read.DataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StatusStage>(
            new CommandDefinition(sql, new { WorkspaceId = workspaceId, StatusStageList.MaxStages }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
