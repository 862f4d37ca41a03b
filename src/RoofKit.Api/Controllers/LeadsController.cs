using MediatR;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using RoofKit.Api.Http;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListDeletions;
using RoofKit.Application.Leads.Queries.ListLeads;

namespace RoofKit.Api.Controllers;

[ApiController]
[Authorize]
[Route("api/v1/leads")]
public sealed class LeadsController(IMediator mediator) : ControllerBase
{
    /// <summary>List leads</summary>
    /// <remarks>One page of the workspace's leads, oldest change first. Follow <c>next_cursor</c> while <c>has_more</c> is true.</remarks>
    /// <response code="200">One page of leads.</response>
    [HttpGet(Name = "listLeads")]
    [LeadQueryParameters<ListLeadsQuery>]
    [Produces("application/json")]
    public async Task<LeadPage> List(CancellationToken cancellationToken) =>
        Synced(await mediator.Send(new ListLeadsQuery(Request.Query.ToLeadQueryParameters<ListLeadsQuery>()), cancellationToken));

    /// <summary>List deleted leads</summary>
    /// <remarks>Leads deleted in the sync window, oldest deletion first, so an incremental sync can delete its copies too. Follow <c>next_cursor</c> while <c>has_more</c> is true; start the next run with <c>from</c> = this run's <c>X-Sync-Watermark</c>. Deletions are kept for 30 days: an older <c>from</c> is 410 <c>sync_expired</c>.</remarks>
    /// <response code="200">One page of deletions.</response>
    [HttpGet("deletions", Name = "listLeadDeletions")]
    [LeadQueryParameters<ListDeletionsQuery>]
    [Produces("application/json")]
    public async Task<DeletionPage> Deletions(CancellationToken cancellationToken) =>
        Synced(await mediator.Send(new ListDeletionsQuery(Request.Query.ToLeadQueryParameters<ListDeletionsQuery>()), cancellationToken));

    /// <summary>Export leads</summary>
    /// <remarks>Exports formula-safe CSV using the same filters as list leads. Exports are capped at 10,000 matching leads per response; use the returned X-Export-Next-Cursor when X-Export-Truncated is true.</remarks>
    /// <response code="200">CSV export.</response>
    [HttpGet("export", Name = "exportLeads")]
    [LeadQueryParameters<ExportLeadsQuery>]
    [Produces("text/csv")]
    // The CSV is text; LeadExport is how the action hands it to the CSV formatter, not what clients receive.
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/csv")]
    public async Task<LeadExport> Export(CancellationToken cancellationToken)
    {
        var export = await mediator.Send(new ExportLeadsQuery(Request.Query.ToLeadQueryParameters<ExportLeadsQuery>()), cancellationToken);
        Response.RegisterForDisposeAsync(export);
        return export;
    }

    /// <summary>The page as the body; its run's sync window as <c>X-Sync-Watermark</c>.</summary>
    private TPage Synced<TPage>(SyncPage<TPage> synced)
    {
        Response.Headers["X-Sync-Watermark"] = ApiJson.Timestamp(synced.SyncWatermark);
        return synced.Page;
    }
}
