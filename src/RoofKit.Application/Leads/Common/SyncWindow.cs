namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A run's window: its watermark, and the primary's WAL position a read replica must have replayed before it serves
/// any page of the run (0: no replica, nothing to wait for; ADR-011).
/// </summary>
public readonly record struct SyncWindow(DateTime Watermark, long ReadAfterWal);
