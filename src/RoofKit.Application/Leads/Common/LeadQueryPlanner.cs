using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Application.Leads.Common;

/// <summary>
/// What list, export and the deletions feed share: from a parsed query (<see cref="LeadQuery"/>), resolve the cursor
/// against the caller's workspace and filters, fix the commit-safe sync window (first page) or take it from the
/// cursor, and sign the next cursor.
/// </summary>
public sealed class LeadQueryPlanner(
    ICurrentApiKey currentApiKey,
    LeadCursorProtector cursors,
    SyncWatermark syncWatermark)
{
    public async Task<LeadQueryPlan> PlanAsync(LeadQuery query, CancellationToken cancellationToken)
    {
        var workspaceId = currentApiKey.Identity?.WorkspaceId
            ?? throw new InvalidOperationException("A lead query reached its handler without an authenticated API key.");
        var (requested, limit, kind) = (query.Filter, query.Limit, query.Kind);
        if (query.Cursor is null)
        {
            var window = await syncWatermark.FixAsync(requested.To, cancellationToken);
            return new LeadQueryPlan(
                new LeadSliceRequest(workspaceId, requested, null, window.Watermark, limit, window.ReadAfterWal), window.Watermark, kind);
        }

        var cursor = cursors.Unprotect(query.Cursor, workspaceId, kind);
        if (requested.ConflictsWith(cursor.Filter))
        {
            throw new InvalidCursorException("The cursor was issued for other filters. Repeat the cursor's filters or leave them out.");
        }

        return new LeadQueryPlan(
            new LeadSliceRequest(workspaceId, cursor.Filter, cursor.After, cursor.Watermark, limit, cursor.ReadAfterWal),
            cursor.Watermark,
            kind);
    }

    /// <summary>The cursor of the page after one that ended at <paramref name="end"/>; null when none follows.</summary>
    public string? NextCursor(LeadQueryPlan plan, KeysetPageEnd end) =>
        end is { HasMore: true, Last: { } last } ? NextCursor(plan, last) : null;

    /// <summary>The cursor of the page after <paramref name="last"/>.</summary>
    public string NextCursor(LeadQueryPlan plan, KeysetPosition last) =>
        cursors.Protect(new LeadCursor(plan.Slice.WorkspaceId, last, plan.Watermark, plan.Slice.Filter, plan.ReadAfterWal), plan.Kind);
}
