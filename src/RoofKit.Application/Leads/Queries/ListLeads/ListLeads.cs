using MediatR;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Common;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Application.Leads.Queries.ListLeads;

[RequiresScope(Scopes.LeadsRead)]
[RateLimited("list_leads", RateLimitPolicy.List)]
public sealed record ListLeadsQuery(LeadQueryParameters Parameters) : IRequest<SyncPage<LeadPage>>, ILeadQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static LeadQueryLimits Limits => new(DefaultLimit, MaxLimit);
}

public sealed class ListLeadsQueryHandler(LeadQueryPlanner planner, ILeadRepository leads)
    : IRequestHandler<ListLeadsQuery, SyncPage<LeadPage>>
{
    public async Task<SyncPage<LeadPage>> Handle(ListLeadsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(LeadQuery.Parse(request), cancellationToken);
        var (page, end) = await KeysetPage.ToListAsync(
            leads.ReadAsync(plan.Slice, cancellationToken), plan.Slice.Limit, l => new KeysetPosition(l.UpdatedAt, l.Id), cancellationToken);
        return new SyncPage<LeadPage>(
            new LeadPage(page, end.HasMore, planner.NextCursor(plan, end)), plan.Watermark);
    }
}
