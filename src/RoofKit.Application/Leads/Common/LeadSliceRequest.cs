namespace RoofKit.Application.Leads.Common;

/// <summary>One keyset slice: a workspace's leads matching a filter, after a position, up to the sync watermark.</summary>
public sealed record LeadSliceRequest(Guid WorkspaceId, LeadFilter Filter, KeysetPosition? After, DateTime UpTo, int Limit);
