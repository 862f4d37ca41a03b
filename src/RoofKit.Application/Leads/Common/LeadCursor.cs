namespace RoofKit.Application.Leads.Common;

/// <summary>
/// What a cursor carries: the workspace, where to resume, the run's sync window and its filters, and the primary's
/// WAL position that a read replica must have replayed to serve the run's pages (0 without a replica; ADR-011).
/// </summary>
public sealed record LeadCursor(Guid WorkspaceId, KeysetPosition After, DateTime Watermark, LeadFilter Filter, long ReadAfterWal = 0);
