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
        var rows = await leads.ListAsync(plan.Slice, cancellationToken);
        var limit = plan.Slice.Limit;
        if (rows.Count <= limit)
        {
            return new LeadPage(rows, false, null, plan.Watermark);
        }

        var page = rows.Take(limit).ToList();
        var last = page[^1];
        return new LeadPage(page, true, planner.NextCursor(plan, new KeysetPosition(last.UpdatedAt, last.Id)), plan.Watermark);
    }
}
