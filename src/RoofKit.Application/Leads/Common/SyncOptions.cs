namespace RoofKit.Application.Leads.Common;

public sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>
    /// How far behind the request time a run's window ends, so that a row whose transaction commits late
    /// (its updated_at is its transaction's start) is not skipped. Default 5 s.
    /// </summary>
    public double SettleLagSeconds { get; set; } = 5;
}
