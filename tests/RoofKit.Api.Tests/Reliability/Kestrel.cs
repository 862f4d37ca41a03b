using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// The API behind real Kestrel on a free loopback port, for what the in-process test server cannot show: TCP
/// connections that break, and the headers that the production server itself writes.
/// </summary>
public static class Kestrel
{
    /// <summary>Starts the factory's API on Kestrel; returns its address. Call before anything else uses the factory.</summary>
    public static Uri Start(ApiFactory factory)
    {
        factory.UseKestrel(0);
        factory.StartServer();
        return new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>An HTTP client of that address, from a client address of the caller's choice (127.0.0.1 is a trusted proxy in tests).</summary>
    public static HttpClient Client(Uri server, string? token = null, string? clientAddress = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientAddress ?? $"10.9.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}");
        return client;
    }
}
