namespace RoofKit.Application.Leads.Common;

public sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>
    /// How far behind the request time a run's window ends at the least. The commit-safe watermark already stays
    /// behind every open transaction; the lag also covers clocks that disagree by a little. Default 5 s.
    /// </summary>
    public double SettleLagSeconds { get; set; } = 5;

    /// <summary>A watermark held back further than this by an open transaction is logged as a warning. Default 300 s.</summary>
    public double WatermarkLagWarningSeconds { get; set; } = 300;

    /// <summary>
    /// How long an instance reuses one reading of the database's open transactions for first pages (ADR-006): any
    /// reading taken before a page's query keeps the watermark commit-safe, and sharing it spares the database one
    /// scan of its sessions per request. Default 200 ms; 0 reads it for every first page.
    /// </summary>
    public int HorizonMaxAgeMilliseconds { get; set; } = 200;

    /// <summary>How long tombstones of deleted leads are kept for the deletions feed. Default 30 days.</summary>
    public int DeletionRetentionDays { get; set; } = 30;
}
