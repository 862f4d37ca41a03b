using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ListDeletions;

/// <summary>One page of deletions, the body of <c>GET /api/v1/leads/deletions</c>.</summary>
public sealed record DeletionPage(IReadOnlyList<LeadDeletion> Data, bool HasMore, string? NextCursor);
