using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ListLeads;

/// <summary>One page of leads, the body of <c>GET /api/v1/leads</c>.</summary>
public sealed record LeadPage(IReadOnlyList<Lead> Data, bool HasMore, string? NextCursor);
