using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace RoofKit.Api.Controllers;

[ApiController]
[AllowAnonymous]
public sealed class HealthController(NpgsqlDataSource database, ILogger<HealthController> logger) : ControllerBase
{
    /// <summary>Health check</summary>
    /// <remarks>200 when the API and its database answer, else 503. For load balancers; needs no key.</remarks>
    /// <response code="200">The API and its database answer.</response>
    /// <response code="503">The database does not answer.</response>
    [HttpGet("/healthz", Name = "health")]
    [Produces("application/json")]
    [ProducesResponseType<HealthStatus>(StatusCodes.Status200OK)]
    [ProducesResponseType<HealthStatus>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> Get(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return Ok(new HealthStatus("ok"));
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Health check: the database did not answer ({Error})", ex.GetType().Name);
            return StatusCode(StatusCodes.Status503ServiceUnavailable, new HealthStatus("unavailable"));
        }
    }
}

public sealed record HealthStatus(string Status);
