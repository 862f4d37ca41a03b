namespace RoofKit.Application.Leads.Common;

/// <summary>A parsed query turned into a slice to read and the means to continue after it.</summary>
public sealed record LeadQueryPlan(LeadSliceRequest Slice, DateTime Watermark, CursorKind Kind)
{
    /// <summary>The WAL position the run's pages wait for on a read replica (ADR-011); the next cursor carries it.</summary>
    public long ReadAfterWal => Slice.ReadAfterWal;
}
