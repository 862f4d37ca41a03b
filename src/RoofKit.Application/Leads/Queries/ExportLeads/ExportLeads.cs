using MediatR;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
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
/// One export segment, read whole from the database and encoded before the response starts: its size, whether it
/// is truncated and the next cursor are known for the headers, and no database connection waits on the client.
/// It owns the encoded body and the workspace's export slot; the response disposes it when it has been sent.
/// </summary>
public sealed class LeadExport(
    IExportBody body, IAsyncDisposable slot, int rowCount, string? nextCursor, DateTime syncWatermark, DateTime generatedAt)
    : IAsyncDisposable
{
    public IExportBody Body { get; } = body;

    public int RowCount { get; } = rowCount;

    public bool Truncated => NextCursor is not null;

    public string? NextCursor { get; } = nextCursor;

    public DateTime SyncWatermark { get; } = syncWatermark;

    public DateTime GeneratedAt { get; } = generatedAt;

    public async ValueTask DisposeAsync()
    {
        await Body.DisposeAsync();
        await slot.DisposeAsync();
    }
}

public sealed class ExportLeadsQueryHandler(
    LeadQueryPlanner planner, ILeadRepository leads, ILeadCsvEncoder csv, IExportSlots slots, TimeProvider clock)
    : IRequestHandler<ExportLeadsQuery, LeadExport>
{
    public async Task<LeadExport> Handle(ExportLeadsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(
            request.Parameters, ExportLeadsQuery.MaxLimit, ExportLeadsQuery.MaxLimit, CursorKind.Leads, cancellationToken);
        var slot = await slots.TryClaimAsync(plan.Slice.WorkspaceId, cancellationToken) ?? throw new ConcurrencyLimitedException();
        try
        {
            var end = default(KeysetPageEnd);
            var body = await csv.EncodeAsync(async writeRow => end = await KeysetPage.ReadAsync(
                leads.ReadAsync(plan.Slice, cancellationToken), plan.Slice.Limit, l => new KeysetPosition(l.UpdatedAt, l.Id), writeRow, cancellationToken),
                cancellationToken);
            var next = end is { HasMore: true, Last: { } last } ? planner.NextCursor(plan, last) : null;
            return new LeadExport(body, slot, end.Count, next, plan.Watermark, clock.GetUtcNow().UtcDateTime);
        }
        catch
        {
            await slot.DisposeAsync();
            throw;
        }
    }
}
