namespace RoofKit.Application.Common.Interfaces;

/// <summary>
/// The fair share of CONTRACT.md §4: at most <c>Exports:MaxConcurrentPerWorkspace</c> exports of one workspace at
/// once, counted across every API instance. A claimed slot is held until it is disposed (the response has been
/// sent), or until its lease runs out if the instance holding it dies.
/// </summary>
public interface IExportSlots
{
    /// <summary>A held slot, or null when the workspace has no free one.</summary>
    Task<IAsyncDisposable?> TryClaimAsync(Guid workspaceId, CancellationToken cancellationToken);
}
