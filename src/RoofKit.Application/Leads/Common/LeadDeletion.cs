namespace RoofKit.Application.Leads.Common;

/// <summary>A deleted lead as the deletions feed shows it (CONTRACT.md §6a).</summary>
public sealed record LeadDeletion(Guid Id, DateTime DeletedAt);
