using RoofKit.Domain.Leads;

namespace RoofKit.Application.Leads.Common;

/// <summary>One keyset slice: a workspace's leads matching a filter, after a position, up to the sync watermark.</summary>
public sealed record LeadSliceRequest(Guid WorkspaceId, LeadFilter Filter, KeysetPosition? After, DateTime UpTo, int Limit);

public interface ILeadRepository
{
    /// <summary>
    /// The slice's leads in (updated_at, id) order, at most <c>Limit + 1</c> (<see cref="KeysetPage"/>), streamed
    /// from one query. The connection is the enumeration's: it is released when the enumeration ends or is disposed.
    /// </summary>
    IAsyncEnumerable<Lead> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken);
}
