using MediatR;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Common;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Leads;

namespace RoofKit.Application.Leads.Queries.ListLeads;

[RequiresScope(Scopes.LeadsRead)]
[RateLimited("list_leads", RateLimitPolicy.List)]
public sealed record ListLeadsQuery(LeadQueryParameters Parameters) : IRequest<LeadPage>, ILeadQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
}

/// <summary>One page of leads; <see cref="SyncWatermark"/> goes to the <c>X-Sync-Watermark</c> header.</summary>
public sealed record LeadPage(
    IReadOnlyList<Lead> Data,
    bool HasMore,
    string? NextCursor,
    [property: System.Text.Json.Serialization.JsonIgnore] DateTime SyncWatermark);

public sealed class ListLeadsQueryHandler(LeadQueryPlanner planner, ILeadRepository leads)
    : IRequestHandler<ListLeadsQuery, LeadPage>
{
    public async Task<LeadPage> Handle(ListLeadsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(
            request.Parameters, ListLeadsQuery.DefaultLimit, ListLeadsQuery.MaxLimit, CursorKind.Leads, cancellationToken);
        var (page, end) = await KeysetPage.ToListAsync(
            leads.ReadAsync(plan.Slice, cancellationToken), plan.Slice.Limit, l => new KeysetPosition(l.UpdatedAt, l.Id), cancellationToken);
        return new LeadPage(page, end.HasMore, end is { HasMore: true, Last: { } last } ? planner.NextCursor(plan, last) : null, plan.Watermark);
    }
}
