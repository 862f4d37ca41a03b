using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ExportLeads;

public sealed class ExportLeadsQueryValidator() : LeadQueryValidator<ExportLeadsQuery>(ExportLeadsQuery.MaxLimit);
