using RoofKit.Domain.Leads;

namespace RoofKit.Application.Leads.Queries.ExportLeads;

/// <summary>
/// Writes rows as the export's CSV (CONTRACT.md §7) into a body that outlives the database read: the rows are read
/// at the database's pace, and the body goes to the client at the client's (ADR-007). The format is the API's
/// concern, so the API implements this.
/// </summary>
public interface ILeadCsvEncoder
{
    /// <summary>The header row and every row <paramref name="write"/> is given, in a body the caller owns.</summary>
    Task<IExportBody> EncodeAsync(Func<Func<Lead, ValueTask>, Task> write, CancellationToken cancellationToken);
}

/// <summary>An encoded export segment: in memory up to a threshold, in a temporary file past it; disposing deletes it.</summary>
public interface IExportBody : IAsyncDisposable
{
    long Length { get; }

    Task WriteToAsync(Stream destination, CancellationToken cancellationToken);
}
