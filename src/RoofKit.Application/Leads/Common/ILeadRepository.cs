using RoofKit.Domain.Leads;

namespace RoofKit.Application.Leads.Common;

/// <summary>One keyset slice: a workspace's leads matching a filter, after a position, up to the sync watermark.</summary>
public sealed record LeadSliceRequest(Guid WorkspaceId, LeadFilter Filter, KeysetPosition? After, DateTime UpTo, int Limit);

/// <summary>
/// A slice whose size and end are known before its rows are read, so headers can precede the body; rows
/// are read lazily from the open database reader. Disposing it releases the connection.
/// </summary>
public interface ILeadSlice : IAsyncDisposable
{
    int RowCount { get; }

    bool HasMore { get; }

    KeysetPosition? Last { get; }

    IAsyncEnumerable<Lead> ReadAsync(CancellationToken cancellationToken);
}

public interface ILeadRepository
{
    /// <summary>Up to <c>Limit + 1</c> leads, buffered: the extra one only tells whether more remain.</summary>
    Task<IReadOnlyList<Lead>> ListAsync(LeadSliceRequest request, CancellationToken cancellationToken);

    /// <summary>Opens a slice of at most <c>Limit</c> leads for streaming.</summary>
    Task<ILeadSlice> OpenSliceAsync(LeadSliceRequest request, CancellationToken cancellationToken);
}
