namespace RoofKit.Application.Common.Interfaces;

/// <summary>
/// What the database says about writes that may still commit: its clock, and the oldest transaction still open in
/// it (any role, any client). A row gets its transaction's start as <c>updated_at</c> or <c>deleted_at</c>, so no row
/// invisible now can later commit with a time below both (ADR-006).
/// </summary>
public sealed record SyncHorizon(DateTime DatabaseNow, DateTime? OldestTransactionStart, int? OldestTransactionPid);

public interface ISyncHorizon
{
    Task<SyncHorizon> ReadAsync(CancellationToken cancellationToken);
}
