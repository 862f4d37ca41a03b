using RoofKit.Api;
using RoofKit.Api.Cli;
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
    // A next-page request carries a cursor (up to 16 KiB) and may repeat long non-ASCII filters, percent-encoded;
    // Kestrel's 8 KiB default would refuse such valid requests with a bare 414.
    options.Limits.MaxRequestLineSize = 64 * 1024;
    options.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
});

builder.Services
    .AddApplicationServices(builder.Configuration)
    .AddInfrastructureServices(builder.Configuration)
    .AddInfrastructureBackgroundServices()
    .AddApiServices(builder.Configuration);

var app = builder.Build();
app.UseRoofKitApi();
await app.RunAsync();
return 0;

/// <summary>The API's entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
