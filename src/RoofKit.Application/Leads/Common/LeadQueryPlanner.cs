using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Application.Leads.Common;

/// <summary>A validated query turned into a slice to read and the means to continue after it.</summary>
public sealed record LeadQueryPlan(LeadSliceRequest Slice, DateTime Watermark, CursorKind Kind)
{
    /// <summary>The WAL position the run's pages wait for on a read replica (ADR-009); the next cursor carries it.</summary>
    public long ReadAfterWal => Slice.ReadAfterWal;
}

/// <summary>
/// What list, export and the deletions feed share: parse the parameters, resolve the cursor against the caller's
/// workspace and filters, fix the commit-safe sync window (first page) or take it from the cursor, and sign the
/// next cursor.
/// </summary>
public sealed class LeadQueryPlanner(
    ICurrentApiKey currentApiKey,
    LeadCursorProtector cursors,
    SyncWatermark syncWatermark)
{
    public async Task<LeadQueryPlan> PlanAsync(
        LeadQueryParameters parameters, int defaultLimit, int maxLimit, CursorKind kind, CancellationToken cancellationToken)
    {
        var workspaceId = currentApiKey.Identity?.WorkspaceId
            ?? throw new InvalidOperationException("A lead query reached its handler without an authenticated API key.");
        var requested = LeadFilter.Parse(parameters);
        var limit = parameters.Limit is null
            ? defaultLimit
            : LeadQueryValidator<ILeadQuery>.TryParseLimit(parameters.Limit, maxLimit, out var l) ? l : defaultLimit;

        if (parameters.Cursor is null)
        {
            var window = await syncWatermark.FixAsync(requested.To, cancellationToken);
            return new LeadQueryPlan(
                new LeadSliceRequest(workspaceId, requested, null, window.Watermark, limit, window.ReadAfterWal), window.Watermark, kind);
        }

        var cursor = cursors.Unprotect(parameters.Cursor, workspaceId, kind);
        if (requested.ConflictsWith(cursor.Filter))
        {
            throw new InvalidCursorException("The cursor was issued for other filters. Repeat the cursor's filters or leave them out.");
        }

        return new LeadQueryPlan(
            new LeadSliceRequest(workspaceId, cursor.Filter, cursor.After, cursor.Watermark, limit, cursor.ReadAfterWal),
            cursor.Watermark,
            kind);
    }

    public string NextCursor(LeadQueryPlan plan, KeysetPosition last) =>
        cursors.Protect(new LeadCursor(plan.Slice.WorkspaceId, last, plan.Watermark, plan.Slice.Filter, plan.ReadAfterWal), plan.Kind);
}
