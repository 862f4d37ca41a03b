using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Application.Leads.Common;

/// <summary>A validated lead query turned into a slice to read and the means to continue after it.</summary>
public sealed record LeadQueryPlan(LeadSliceRequest Slice, DateTime Watermark);

/// <summary>
/// What list and export share: parse the parameters, resolve the cursor against the caller's workspace and
/// filters, fix the sync window (first page) or take it from the cursor, and sign the next cursor.
/// </summary>
public sealed class LeadQueryPlanner(
    ICurrentApiKey currentApiKey,
    LeadCursorProtector cursors,
    IOptions<SyncOptions> syncOptions,
    TimeProvider clock)
{
    public LeadQueryPlan Plan(LeadQueryParameters parameters, int defaultLimit, int maxLimit)
    {
        var workspaceId = currentApiKey.Identity?.WorkspaceId
            ?? throw new InvalidOperationException("A lead query reached its handler without an authenticated API key.");
        var requested = LeadFilter.Parse(parameters);
        var limit = parameters.Limit is null
            ? defaultLimit
            : LeadQueryValidator<ILeadQuery>.TryParseLimit(parameters.Limit, maxLimit, out var l) ? l : defaultLimit;

        if (parameters.Cursor is null)
        {
            var watermark = WindowEnd(requested.To);
            return new LeadQueryPlan(new LeadSliceRequest(workspaceId, requested, null, watermark, limit), watermark);
        }

        var cursor = cursors.Unprotect(parameters.Cursor, workspaceId);
        if (requested.ConflictsWith(cursor.Filter))
        {
            throw new InvalidCursorException("The cursor was issued for other filters. Repeat the cursor's filters or leave them out.");
        }

        return new LeadQueryPlan(
            new LeadSliceRequest(workspaceId, cursor.Filter, cursor.After, cursor.Watermark, limit),
            cursor.Watermark);
    }

    public string NextCursor(LeadQueryPlan plan, KeysetPosition last) =>
        cursors.Protect(new LeadCursor(plan.Slice.WorkspaceId, last, plan.Watermark, plan.Slice.Filter));

    /// <summary>
    /// min(to, now - settle lag). The settled time is cut to the millisecond, so the watermark header states it
    /// exactly; <c>to</c> is kept as given, because its bound is inclusive (a header that cuts it only makes the
    /// next run start a little early, never late).
    /// </summary>
    private DateTime WindowEnd(DateTime? to)
    {
        var settled = clock.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(syncOptions.Value.SettleLagSeconds);
        settled = new DateTime(settled.Ticks - (settled.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        return to is { } t && t < settled ? t : settled;
    }
}
