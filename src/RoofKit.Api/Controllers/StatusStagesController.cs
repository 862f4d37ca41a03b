using MediatR;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;

namespace RoofKit.Api.Controllers;

[ApiController]
[Authorize]
[Route("api/v1/status-stages")]
public sealed class StatusStagesController(IMediator mediator) : ControllerBase
{
    /// <summary>List status stages</summary>
    /// <remarks>The workspace's pipeline stages in order, to map a lead's status_stage_id to a name and kind.</remarks>
    /// <response code="200">The workspace's pipeline stages.</response>
    [HttpGet(Name = "listStatusStages")]
    [Produces("application/json")]
    public Task<StatusStageList> List(CancellationToken cancellationToken) =>
        mediator.Send(new ListStatusStagesQuery(), cancellationToken);
}
