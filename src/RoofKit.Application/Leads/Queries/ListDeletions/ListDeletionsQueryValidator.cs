using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ListDeletions;

/// <summary>The lead query's rules; the lead filters never reach it (they are unknown parameters here).</summary>
public sealed class ListDeletionsQueryValidator() : LeadQueryValidator<ListDeletionsQuery>(ListDeletionsQuery.MaxLimit);
