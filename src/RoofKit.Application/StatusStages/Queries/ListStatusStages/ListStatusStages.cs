using MediatR;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Leads;

namespace RoofKit.Application.StatusStages.Queries.ListStatusStages;

[RequiresScope(Scopes.LeadsRead)]
[RateLimited("status_stages", RateLimitPolicy.List)]
public sealed record ListStatusStagesQuery : IRequest<StatusStageList>;

public sealed record StatusStageList(IReadOnlyList<StatusStage> Data);

public interface IStatusStageRepository
{
    Task<IReadOnlyList<StatusStage>> ListAsync(Guid workspaceId, CancellationToken cancellationToken);
}

public sealed class ListStatusStagesQueryHandler(ICurrentApiKey currentApiKey, IStatusStageRepository stages)
    : IRequestHandler<ListStatusStagesQuery, StatusStageList>
{
    public async Task<StatusStageList> Handle(ListStatusStagesQuery request, CancellationToken cancellationToken)
    {
        var workspaceId = currentApiKey.Identity?.WorkspaceId
            ?? throw new InvalidOperationException("Status stages were asked for without an authenticated API key.");
        return new StatusStageList(await stages.ListAsync(workspaceId, cancellationToken));
    }
}
