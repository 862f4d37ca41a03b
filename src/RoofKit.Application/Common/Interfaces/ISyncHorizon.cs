namespace RoofKit.Application.Common.Interfaces;

/// <summary>
/// What the database says about writes that may still commit: its clock, and the oldest transaction still open in
/// it (any role, any client). A row gets its transaction's start as <c>updated_at</c> or <c>deleted_at</c>, so no row
/// invisible now can later commit with a time below both (ADR-006). With a read replica, also the primary's WAL insert
/// position read after the open transactions: every transaction that had ended by then has its commit record below
/// it, so a replica that has replayed that far sees all of them (ADR-011). 0 when reads go to the primary.
/// </summary>
public sealed record SyncHorizon(DateTime DatabaseNow, DateTime? OldestTransactionStart, int? OldestTransactionPid, long WalPosition = 0);

public interface ISyncHorizon
{
    Task<SyncHorizon> ReadAsync(CancellationToken cancellationToken);
}
