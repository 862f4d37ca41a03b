namespace RoofKit.Application.Leads.Queries.ExportLeads;

/// <summary>
/// One export segment. Its size, whether it is truncated and the next cursor are known before the first row (a
/// probe in the segment's snapshot), so they go out as headers; the rows are read at the database's pace into the
/// body, which the client receives at its own. It owns the body and the workspace's export slot; the response
/// disposes it when it has been sent.
/// </summary>
public sealed class LeadExport(
    IExportBody body, IAsyncDisposable slot, int rowCount, string? nextCursor, DateTime syncWatermark, DateTime generatedAt)
    : IAsyncDisposable
{
    public IExportBody Body { get; } = body;

    public int RowCount { get; } = rowCount;

    public bool Truncated => NextCursor is not null;

    public string? NextCursor { get; } = nextCursor;

    public DateTime SyncWatermark { get; } = syncWatermark;

    public DateTime GeneratedAt { get; } = generatedAt;

    public async ValueTask DisposeAsync()
    {
        await Body.DisposeAsync();
        await slot.DisposeAsync();
    }
}
