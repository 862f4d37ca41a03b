using System.Net;
using System.Net.Sockets;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Health;

public sealed class HealthTests : ApiTestBase
{
    [Test]
    public async Task ShouldReturn200WhenTheDatabaseAnswers()
    {
        var response = await Client().GetAsync("/healthz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await JsonAsync(response)).GetProperty("status").GetString().Should().Be("ok");
    }

    [Test]
    public async Task ShouldReturn503AndTheApi503UnavailableWhenTheDatabaseIsDown()
    {
        await using var down = new ApiFactory($"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none");
        var client = down.CreateClient();

        var health = await client.GetAsync("/healthz");
        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await JsonAsync(health)).GetProperty("status").GetString().Should().Be("unavailable");

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", RoofKit.Domain.ApiKeys.ApiKeyToken.Generate().Text);
        var api = await client.GetAsync("/api/v1/leads");
        var body = await api.Content.ReadAsStringAsync();
        await ErrorAsync(api, 503, "unavailable");
        body.Should().NotContainAny("Npgsql", "Exception", "at ", "SELECT", "127.0.0.1", "rk_live_");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
