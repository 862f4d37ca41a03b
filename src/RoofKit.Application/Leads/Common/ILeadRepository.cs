using RoofKit.Domain.Leads;

namespace RoofKit.Application.Leads.Common;

/// <summary>One keyset slice: a workspace's leads matching a filter, after a position, up to the sync watermark.</summary>
/// <summary>
/// One keyset slice to read. <paramref name="ReadAfterWal"/>: the primary's WAL position a read replica must have
/// replayed before it serves the slice (ADR-009); 0 when reads go to the primary.
/// </summary>
public sealed record LeadSliceRequest(Guid WorkspaceId, LeadFilter Filter, KeysetPosition? After, DateTime UpTo, int Limit, long ReadAfterWal = 0);

public interface ILeadRepository
{
    /// <summary>
    /// The slice's leads in (updated_at, id) order, at most <c>Limit + 1</c> (<see cref="KeysetPage"/>), streamed
    /// from one query. The connection is the enumeration's: it is released when the enumeration ends or is disposed.
    /// </summary>
    IAsyncEnumerable<Lead> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Reads an export segment of at most <c>Limit</c> leads in one snapshot: first where it ends (<paramref name="onEnd"/>:
    /// its row count, whether more follow, its last position, from a key-only probe of <c>Limit + 1</c> keys, so the
    /// response headers can precede the rows), then each row, in order, to <paramref name="onRow"/>. The connection
    /// is this call's own and is released when it returns.
    /// </summary>
    Task ReadSegmentAsync(
        LeadSliceRequest request, Func<KeysetPageEnd, ValueTask> onEnd, Func<Lead, ValueTask> onRow, CancellationToken cancellationToken);
}
