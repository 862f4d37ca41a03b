namespace RoofKit.Application.Leads.Common;

/// <summary>What a cursor carries: the workspace, where to resume, the run's sync window and its filters.</summary>
public sealed record LeadCursor(Guid WorkspaceId, KeysetPosition After, DateTime Watermark, LeadFilter Filter);
