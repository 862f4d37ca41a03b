using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Leads.Queries.ExportLeads;

/// <summary>
/// Writes rows as the export's CSV (CONTRACT.md §7) into a buffer between the database and the client: rows are
/// encoded at the database's pace while the body goes out at the client's (ADR-007). The format is the API's
/// concern, so the API implements this.
/// </summary>
public interface ILeadCsvEncoder
{
    /// <summary>
    /// Starts encoding in the background: the header row, then every row that <paramref name="produce"/> hands to the
    /// writer it is given. The body can be sent while rows are still being encoded.
    /// </summary>
    IExportBody Encode(Func<Func<ILeadRecord, ValueTask>, Task> produce, CancellationToken cancellationToken);
}
