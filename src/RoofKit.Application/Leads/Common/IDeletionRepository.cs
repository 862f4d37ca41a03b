namespace RoofKit.Application.Leads.Common;

/// <summary>A deleted lead as the deletions feed shows it (CONTRACT.md §6a).</summary>
public sealed record LeadDeletion(Guid Id, DateTime DeletedAt);

public interface IDeletionRepository
{
    /// <summary>
    /// Up to <c>Limit + 1</c> tombstones of the workspace in (deleted_at, id) order, within the slice's
    /// <c>from</c>/<c>to</c> and watermark, after its position; the extra one only tells whether more remain.
    /// </summary>
    Task<IReadOnlyList<LeadDeletion>> ListAsync(LeadSliceRequest request, CancellationToken cancellationToken);
}
