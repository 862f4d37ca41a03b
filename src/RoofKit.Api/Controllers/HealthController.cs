using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RoofKit.Infrastructure.Health;

namespace RoofKit.Api.Controllers;

/// <summary>
/// The instance's health, from ASP.NET Core's health checks (<see cref="DatabaseHealthChecks"/>): <c>/healthz</c> for
/// load balancers, <c>/healthz/ready</c> and <c>/healthz/live</c> for orchestrators. Only <c>/healthz</c> is in the
/// partner document; the probes are the operator's.
/// </summary>
[ApiController]
[AllowAnonymous]
public sealed class HealthController(HealthCheckService health) : ControllerBase
{
    /// <summary>Health check</summary>
    /// <remarks>200 when the API and its databases answer (the primary, and the read replica when one is configured), else 503, with each check's status. For load balancers; needs no key.</remarks>
    /// <response code="200">The API and its databases answer.</response>
    /// <response code="503">A database does not answer.</response>
    [HttpGet("/healthz", Name = "health")]
    [Produces("application/json")]
    [ProducesResponseType<ServiceHealth>(StatusCodes.Status200OK)]
    [ProducesResponseType<ServiceUnhealthy>(StatusCodes.Status503ServiceUnavailable)]
    public Task<IActionResult> Get(CancellationToken cancellationToken) =>
        CheckAsync(r => r.Tags.Contains(DatabaseHealthChecks.Database), cancellationToken);

    /// <summary>Readiness: both pools answer and every migration of this build is applied.</summary>
    [HttpGet("/healthz/ready")]
    [ApiExplorerSettings(IgnoreApi = true)]
    public Task<IActionResult> Ready(CancellationToken cancellationToken) =>
        CheckAsync(r => r.Tags.Contains(DatabaseHealthChecks.Ready), cancellationToken);

    /// <summary>Liveness: the process answers HTTP. No database, so that an outage of the database restarts nothing.</summary>
    [HttpGet("/healthz/live")]
    [ApiExplorerSettings(IgnoreApi = true)]
    public Task<IActionResult> Live(CancellationToken cancellationToken) => CheckAsync(_ => false, cancellationToken);

    private async Task<IActionResult> CheckAsync(Func<HealthCheckRegistration, bool> predicate, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(predicate, cancellationToken);
        Response.Headers.CacheControl = "no-store";
        var checks = report.Entries.ToDictionary(e => e.Key, e => Name(e.Value.Status));
        return report.Status == HealthStatus.Unhealthy
            ? StatusCode(StatusCodes.Status503ServiceUnavailable, new ServiceUnhealthy { Status = Name(report.Status), Checks = checks })
            : Ok(new ServiceHealth { Status = Name(report.Status), Checks = checks });
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

/// <summary>The instance and its databases answer.</summary>
public sealed class ServiceHealth
{
    /// <summary>`healthy`.</summary>
    public required string Status { get; init; }

    /// <summary>Each check by name with its status, `healthy`: `primary` (the primary database) and `read` (the read replica when one is configured, else the primary through the pool of reads).</summary>
    public required IReadOnlyDictionary<string, string> Checks { get; init; }
}

// The 503's body has the same fields as ServiceHealth, in a type of its own: client generators (Kiota) make the
// schema of an error status an exception type, and ServiceHealth must stay a plain model.

/// <summary>A database of the instance does not answer.</summary>
public sealed class ServiceUnhealthy
{
    /// <summary>`unhealthy`.</summary>
    public required string Status { get; init; }

    /// <summary>Each check by name (`primary`, `read`) with its status, `healthy` or `unhealthy`.</summary>
    public required IReadOnlyDictionary<string, string> Checks { get; init; }
}
