namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A page of a sync feed (list, deletions) and the run's sync window, which goes to the <c>X-Sync-Watermark</c>
/// header, not into the body.
/// </summary>
public sealed record SyncPage<TPage>(TPage Page, DateTime SyncWatermark);
