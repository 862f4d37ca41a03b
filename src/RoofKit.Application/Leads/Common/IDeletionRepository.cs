namespace RoofKit.Application.Leads.Common;

/// <summary>A deleted lead as the deletions feed shows it (CONTRACT.md §6a).</summary>
public sealed record LeadDeletion(Guid Id, DateTime DeletedAt);

public interface IDeletionRepository
{
    /// <summary>
    /// The workspace's tombstones in (deleted_at, id) order within the slice's <c>from</c>/<c>to</c> and watermark,
    /// after its position, at most <c>Limit + 1</c> (<see cref="KeysetPage"/>).
    /// </summary>
    IAsyncEnumerable<LeadDeletion> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken);
}
