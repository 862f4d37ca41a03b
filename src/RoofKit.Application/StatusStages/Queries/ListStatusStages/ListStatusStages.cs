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

/// <summary>The workspace's stages by position; at most <see cref="MaxStages"/>, so that partners can size for the list.</summary>
public sealed record StatusStageList(IReadOnlyList<StatusStage> Data)
{
    /// <summary>
    /// The most stages the list holds (the first by position). A pipeline has a handful; the bound is what the OpenAPI
    /// document promises (<c>maxItems</c>).
    /// </summary>
    public const int MaxStages = 100;
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
