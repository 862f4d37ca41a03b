using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ListLeads;

public sealed class ListLeadsQueryValidator() : LeadQueryValidator<ListLeadsQuery>(ListLeadsQuery.MaxLimit);
