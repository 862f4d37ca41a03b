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

    /// <summary>A segment is as long as it may be unless the partner asks for less.</summary>
    public static LeadQueryLimits Limits => new(MaxLimit, MaxLimit);
}

public sealed class ExportLeadsQueryHandler(
    LeadQueryPlanner planner, ILeadRepository leads, ILeadCsvEncoder csv, IExportSlots slots, TimeProvider clock)
    : IRequestHandler<ExportLeadsQuery, LeadExport>
{
    public async Task<LeadExport> Handle(ExportLeadsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(LeadQuery.Parse(request), cancellationToken);
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
            var next = planner.NextCursor(plan, end);
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
