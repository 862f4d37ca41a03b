using RoofKit.Domain.Leads;

namespace RoofKit.Application.StatusStages.Queries.ListStatusStages;

/// <summary>The read side of a workspace's pipeline stages.</summary>
public interface IStatusStageRepository
{
    Task<IReadOnlyList<StatusStage>> ListAsync(Guid workspaceId, CancellationToken cancellationToken);
}
