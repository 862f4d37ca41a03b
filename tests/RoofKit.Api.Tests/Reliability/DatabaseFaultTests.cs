using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// The API on a PostgreSQL server of its own that the test stops (as in a crash) and starts again: while it is
/// down every endpoint answers 503 unavailable (and /healthz 503) from the failure itself, never from a timeout
/// spent waiting on the dead database, except that a missing or malformed key still gets its 401 (no database is
/// needed to refuse it); when it is back the same API instance serves again, without a restart. How fast those
/// answers come is for `make bench`, not for this test.
/// </summary>
public sealed class DatabaseFaultTests
{
    private readonly LogSink logs = new();
    private PrivatePostgres server = null!;
    private ApiFactory factory = null!;
    private string key = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await PrivatePostgres.StartAsync();
        var connectionString = await server.CreateMigratedDatabaseAsync("roofkit_faults");
        await using (var db = NpgsqlDataSource.Create(connectionString))
        {
            var data = new TestData(db);
            var workspace = await data.WorkspaceAsync();
            await data.SeedAsync(workspace.Id, 300);
            key = (await data.KeyAsync(workspace.Id)).Token;
        }

        NpgsqlConnection.ClearAllPools();
        // The 503s here are the point of the test: its warning per request goes to the sink, where the test reads why
        // each request failed, and not to the console, where forty of them would only bury the test's output.
        factory = new ApiFactory(connectionString, new Dictionary<string, string?>
        {
            ["Logging:Console:LogLevel:RoofKit.Api.Errors.ApiExceptionHandler"] = "None",
        }, logs: logs);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await factory.DisposeAsync();
        await server.DisposeAsync();
    }

    [Test]
    public async Task ShouldAnswer503FromTheFailureNotATimeoutWhileTheDatabaseIsDownAndServeAgainWhenItIsBack()
    {
        using var client = factory.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        var cursor = (await JsonAsync(await SendAsync(client, "/api/v1/leads?limit=5", key))).GetProperty("next_cursor").GetString()!;
        var requests = Requests(cursor);

        // Up: every request works, and the pool holds open connections to the server that is about to die.
        foreach (var (path, token, up, _) in requests)
        {
            using var response = await SendAsync(client, path, token);
            ((int)response.StatusCode).Should().Be(up, path);
        }

        await server.StopServerAsync();

        // The first round meets the pool's broken connections, the second a server that refuses connections.
        for (var round = 1; round <= 2; round++)
        {
            foreach (var (path, token, _, down) in requests)
            {
                using var response = await SendAsync(client, path, token);

                var body = await response.Content.ReadAsStringAsync();
                ((int)response.StatusCode).Should().Be(down, $"{path} in round {round}: {body}");
                if (down == 503 && path != "/healthz")
                {
                    // Why the API gave up, in the one warning it logs per 503: the refused or broken connection
                    // itself, not a connect timeout, a command timeout or a pool that ran out while waiting.
                    var requestId = response.Headers.GetValues("X-Request-Id").Single();
                    var warnings = logs.Entries.Where(e => e.Message.Contains($"Request {requestId} answered 503", StringComparison.Ordinal)).ToList();
                    warnings.Should().ContainSingle($"{path} in round {round} logs one warning for its 503");
                    warnings[0].Message.Should().NotContainEquivalentOf("timeout", $"{path} in round {round} must not wait on the dead database")
                        .And.NotContainEquivalentOf("timed out").And.NotContainEquivalentOf("exhausted");
                }

                if (path == "/healthz")
                {
                    JsonDocument.Parse(body).RootElement.GetProperty("status").GetString().Should().Be("unhealthy");
                }
                else
                {
                    ErrorResponseShape.Problems(response, body, path + token).Should().BeEmpty(path);
                    var code = JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString();
                    code.Should().Be(down switch { 503 => "unavailable", _ => token is null ? "missing_api_key" : "invalid_api_key" }, path);
                }
            }
        }

        await server.StartServerAsync();

        // The same API instance, never restarted: once /healthz sees the database, every endpoint serves again.
        await Eventually.UntilAsync(
            async () =>
            {
                using var health = await SendAsync(client, "/healthz", null);
                return health.StatusCode == HttpStatusCode.OK;
            },
            "/healthz must see the database again");

        for (var round = 1; round <= 2; round++)
        {
            foreach (var (path, token, up, _) in requests)
            {
                using var response = await SendAsync(client, path, token);
                ((int)response.StatusCode).Should().Be(up, $"{path} after the database came back (round {round}): {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    /// <summary>Every endpoint, with what it answers while the database is up and while it is down.</summary>
    private List<(string Path, string? Token, int Up, int Down)> Requests(string cursor) =>
    [
        ("/healthz", null, 200, 503),
        ("/api/v1/leads", key, 200, 503),
        ("/api/v1/leads?source=google&limit=10", key, 200, 503),
        ("/api/v1/leads?cursor=" + Uri.EscapeDataString(cursor), key, 200, 503),
        ("/api/v1/leads/export", key, 200, 503),
        ("/api/v1/leads/export?limit=10&cursor=" + Uri.EscapeDataString(cursor), key, 200, 503),
        ("/api/v1/status-stages", key, 200, 503),
        // A well-formed key must be looked up, so its answer needs the database.
        ("/api/v1/status-stages", ApiKeyToken.Generate().Text, 401, 503),
        // A missing or malformed key is refused without the database; its invalid-auth count is skipped while the
        // database is down (fail open, with a warning in the log) rather than turning the 401 into an error.
        ("/api/v1/leads", null, 401, 401),
        ("/api/v1/leads/export", "rk_live_not-a-key", 401, 401),
    ];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        request.Headers.Add("X-Forwarded-For", $"10.7.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}");
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
