namespace RoofKit.Application.Leads.Common;

/// <summary>A parsed query turned into a slice to read and the means to continue after it.</summary>
public sealed record LeadQueryPlan(LeadSliceRequest Slice, DateTime Watermark, CursorKind Kind);
