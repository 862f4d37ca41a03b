namespace RoofKit.Application.Leads.Queries.ExportLeads;

/// <summary>
/// An export segment being encoded: in memory up to a threshold, in a temporary file past it. Disposing waits for
/// the encoding to end and deletes the file.
/// </summary>
public interface IExportBody : IAsyncDisposable
{
    /// <summary>Ends when every row has been encoded; faults with the error that stopped the rows.</summary>
    Task Completion { get; }

    /// <summary>Sends the body, as it is encoded, to the end.</summary>
    Task WriteToAsync(Stream destination, CancellationToken cancellationToken);
}
