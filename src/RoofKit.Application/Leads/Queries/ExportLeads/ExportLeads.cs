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
/// One export segment. Its size, whether it is truncated and the next cursor are known before the first row (a
/// probe in the segment's snapshot), so they go out as headers; the rows are read at the database's pace into the
/// body, which the client receives at its own. It owns the body and the workspace's export slot; the response
/// disposes it when it has been sent.
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
        IExportBody? body = null;
        try
        {
            // The segment is read in the background, into the body; its end is known first, from the probe.
            var ends = new TaskCompletionSource<KeysetPageEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
            body = csv.Encode(writeRow => leads.ReadSegmentAsync(plan.Slice, end =>
            {
                ends.TrySetResult(end);
                return ValueTask.CompletedTask;
            }, writeRow, cancellationToken), cancellationToken);

            await Task.WhenAny(ends.Task, body.Completion);
            if (!ends.Task.IsCompleted)
            {
                await body.Completion;
                throw new InvalidOperationException("The export's rows ended before its segment's end was known.");
            }

            var end = await ends.Task;
            var next = end is { HasMore: true, Last: { } last } ? planner.NextCursor(plan, last) : null;
            return new LeadExport(body, slot, end.Count, next, plan.Watermark, clock.GetUtcNow().UtcDateTime);
        }
        catch
        {
            if (body is not null)
            {
                await body.DisposeAsync();
            }

            await slot.DisposeAsync();
            throw;
        }
    }
}
