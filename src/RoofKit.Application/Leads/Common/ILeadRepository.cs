namespace RoofKit.Application.Leads.Common;

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
    /// response headers can precede the rows), then each row, in order, to <paramref name="onRow"/> (one record, read
    /// again for each row). The connection is this call's own and is released when it returns.
    /// </summary>
    Task ReadSegmentAsync(
        LeadSliceRequest request, Func<KeysetPageEnd, ValueTask> onEnd, Func<ILeadRecord, ValueTask> onRow, CancellationToken cancellationToken);
}
