using RoofKit.Api;
using RoofKit.Api.Cli;
using RoofKit.Api.Http;
using RoofKit.Application;
using RoofKit.Infrastructure;

if (AdminCli.Handles(args))
{
    return await AdminCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(options =>
{
    options.AddServerHeader = false;
    // Kestrel answers a request over its limits itself, with an empty 414 or 431. Its limits sit above the
    // application's (RequestLimitsMiddleware), so that the application sees such a request and answers it with an
    // ErrorResponse; the request line also holds the method and the protocol version.
    options.Limits.MaxRequestLineSize = RequestLimitsMiddleware.MaxRequestTargetLength * RequestLimitsMiddleware.KestrelFactor;
    options.Limits.MaxRequestHeadersTotalSize = RequestLimitsMiddleware.MaxRequestHeadersTotalSize * RequestLimitsMiddleware.KestrelFactor;
    options.Limits.MaxRequestHeaderCount = RequestLimitsMiddleware.MaxRequestHeaderCount * RequestLimitsMiddleware.KestrelFactor;
});

builder.Services
    .AddApplicationServices(builder.Configuration)
    .AddInfrastructureServices(builder.Configuration)
    .AddInfrastructureBackgroundServices()
    .AddInfrastructureHealthChecks()
    .AddApiServices(builder.Configuration);

var app = builder.Build();
app.UseRoofKitApi();
await app.RunAsync();
return 0;

/// <summary>The API's entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
