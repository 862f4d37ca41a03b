namespace RoofKit.Application.Leads.Common;

public interface IDeletionRepository
{
    /// <summary>
    /// The workspace's tombstones in (deleted_at, id) order within the slice's <c>from</c>/<c>to</c> and watermark,
    /// after its position, at most <c>Limit + 1</c> (<see cref="KeysetPage"/>).
    /// </summary>
    IAsyncEnumerable<LeadDeletion> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken);
}
