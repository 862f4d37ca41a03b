using MediatR;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Common;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Application.Leads.Queries.ExportLeads;

[RequiresScope(Scopes.LeadsExport)]
[RateLimited("export_leads", RateLimitPolicy.Export)]
public sealed record ExportLeadsQuery(LeadQueryParameters Parameters) : IRequest<LeadExport>, ILeadQuery
{
    public const int MaxLimit = 10_000;
}

/// <summary>
/// One export segment. Its size, whether it is truncated and the next cursor are known before any row is
/// read, so the CSV formatter can send them as headers and then stream the rows. Dispose it to release the
/// database connection (the API registers it with the response).
/// </summary>
public sealed class LeadExport(ILeadSlice slice, string? nextCursor, DateTime syncWatermark, DateTime generatedAt)
    : IAsyncDisposable
{
    public ILeadSlice Slice { get; } = slice;

    public bool Truncated => NextCursor is not null;

    public string? NextCursor { get; } = nextCursor;

    public DateTime SyncWatermark { get; } = syncWatermark;

    public DateTime GeneratedAt { get; } = generatedAt;

    public ValueTask DisposeAsync() => Slice.DisposeAsync();
}

public sealed class ExportLeadsQueryHandler(LeadQueryPlanner planner, ILeadRepository leads, TimeProvider clock)
    : IRequestHandler<ExportLeadsQuery, LeadExport>
{
    public async Task<LeadExport> Handle(ExportLeadsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(
            request.Parameters, ExportLeadsQuery.MaxLimit, ExportLeadsQuery.MaxLimit, CursorKind.Leads, cancellationToken);
        var slice = await leads.OpenSliceAsync(plan.Slice, cancellationToken);
        var next = slice is { HasMore: true, Last: { } last } ? planner.NextCursor(plan, last) : null;
        return new LeadExport(slice, next, plan.Watermark, clock.GetUtcNow().UtcDateTime);
    }
}
