namespace RoofKit.Application.Leads.Common;

/// <summary>
/// One keyset slice: a workspace's leads matching a filter, after a position, up to the sync watermark.
/// <paramref name="ReadAfterWal"/>: the primary's WAL position a read replica must have replayed before it serves the
/// slice (ADR-011); 0 when reads go to the primary.
/// </summary>
public sealed record LeadSliceRequest(Guid WorkspaceId, LeadFilter Filter, KeysetPosition? After, DateTime UpTo, int Limit, long ReadAfterWal = 0);
