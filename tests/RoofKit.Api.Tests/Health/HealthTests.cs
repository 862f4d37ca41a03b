using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Persistence;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Health;

public sealed class HealthTests : ApiTestBase
{
    [Test]
    public async Task ShouldReturn200WithEveryCheckHealthyWhenTheDatabaseAnswers()
    {
        var response = await Client().GetAsync("/healthz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        Json(await response.Content.ReadAsStringAsync()).Should().Be("""{"status":"healthy","checks":{"primary":"healthy","read":"healthy"}}""");
    }

    [Test]
    public async Task ShouldReturn503AndTheApi503UnavailableWhenTheDatabaseIsDown()
    {
        var logs = new LogSink();
        await using var down = new ApiFactory($"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none", logs: logs);
        var client = down.CreateClient();

        var health = await client.GetAsync("/healthz");
        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var text = await health.Content.ReadAsStringAsync();
        Json(text).Should().Be("""{"status":"unhealthy","checks":{"primary":"unhealthy","read":"unhealthy"}}""");
        text.Should().NotContainAny("Npgsql", "Exception", "at ", "127.0.0.1");
        // The health check service logs each failed check at Error: one line with the reason, no stack trace or address.
        var failures = logs.Entries.Where(e => e.Category.StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal)).ToList();
        failures.Should().HaveCount(2).And.OnlyContain(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error
            && e.Message.Contains("The database did not answer (", StringComparison.Ordinal) && e.Exception == null);
        failures.Select(e => e.Message).Should().NotContain(m => m.Contains("127.0.0.1", StringComparison.Ordinal));

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", RoofKit.Domain.ApiKeys.ApiKeyToken.Generate().Text);
        var api = await client.GetAsync("/api/v1/leads");
        var body = await api.Content.ReadAsStringAsync();
        await ErrorAsync(api, 503, "unavailable");
        body.Should().NotContainAny("Npgsql", "Exception", "at ", "SELECT", "127.0.0.1", "rk_live_");
    }

    [Test]
    public async Task ShouldCheckTheReadReplicaWhenOneIsConfigured()
    {
        await using var api = new ApiFactory(AssemblyDatabase.Database.ConnectionString, new Dictionary<string, string?>
        {
            ["ConnectionStrings:ReadReplica"] = $"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none",
        });

        var health = await api.CreateClient().GetAsync("/healthz");

        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "partners' reads go to the replica, and it does not answer");
        Json(await health.Content.ReadAsStringAsync()).Should().Be("""{"status":"unhealthy","checks":{"primary":"healthy","read":"unhealthy"}}""");
    }

    [Test]
    public async Task ShouldBeReadyWhenBothPoolsAnswerAndEveryMigrationIsApplied()
    {
        var response = await Client().GetAsync("/healthz/ready");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Json(await response.Content.ReadAsStringAsync())
            .Should().Be("""{"status":"healthy","checks":{"primary":"healthy","read":"healthy","migrations":"healthy"}}""");
    }

    [Test]
    public async Task ShouldNotBeReadyOnADatabaseThatLacksAMigrationButStayHealthyAndLive()
    {
        var name = $"roofkit_unmigrated_{Guid.NewGuid():N}"[..40];
        await AdminAsync($"CREATE DATABASE \"{name}\"");
        try
        {
            var builder = ConnectionStrings.Parse(AssemblyDatabase.Database.ConnectionString);
            builder.Database = name;
            await using (var partly = new NpgsqlConnection(builder.ConnectionString))
            {
                // The journal of a database migrated by an older build: every migration but the newest.
                await partly.OpenAsync();
                await using var journal = new NpgsqlCommand("""
                    CREATE TABLE schemaversions (schemaversionsid serial PRIMARY KEY, scriptname text NOT NULL, applied timestamp NOT NULL);
                    INSERT INTO schemaversions (scriptname, applied) SELECT unnest(@older), now();
                    """, partly);
                journal.Parameters.AddWithValue("older", DatabaseMigrator.ScriptNames.SkipLast(1).ToArray());
                await journal.ExecuteNonQueryAsync();
            }

            await using var api = new ApiFactory(builder.ConnectionString);
            var client = api.CreateClient();

            var ready = await client.GetAsync("/healthz/ready");
            ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            Json(await ready.Content.ReadAsStringAsync())
                .Should().Be("""{"status":"unhealthy","checks":{"primary":"healthy","read":"healthy","migrations":"unhealthy"}}""");
            (await client.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK, "the database answers");
            (await client.GetAsync("/healthz/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    [Test]
    public async Task ShouldBeLiveWithoutADatabase()
    {
        await using var down = new ApiFactory($"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none");
        var client = down.CreateClient();

        var live = await client.GetAsync("/healthz/live");

        live.StatusCode.Should().Be(HttpStatusCode.OK);
        Json(await live.Content.ReadAsStringAsync()).Should().Be("""{"status":"healthy","checks":{}}""");
        (await client.GetAsync("/healthz/ready")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    [Test]
    public async Task ShouldDocumentOnlyHealthzWithAHealthModelThatNoErrorStatusUses()
    {
        var document = JsonNode.Parse(await Client().GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.Should().Contain("/healthz").And.NotContain(["/healthz/ready", "/healthz/live", "/metrics"]);

        var responses = document["paths"]!["/healthz"]!["get"]!["responses"]!.AsObject();
        var ok = responses["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>();
        ok.Should().Be("#/components/schemas/ServiceHealth");
        // Client generators (Kiota) make every schema of a 4xx or 5xx response an exception type.
        var errorSchemas = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject())
            .SelectMany(o => o.Value!["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
            .SelectMany(r => r.Value!["content"]?.AsObject().Select(c => c.Value!["schema"]?["$ref"]?.GetValue<string>()) ?? [])
            .ToList();
        errorSchemas.Should().NotContain(ok);
        responses["503"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>()
            .Should().Be("#/components/schemas/ServiceUnhealthy");
    }

    /// <summary>The body re-serialized without whitespace, so that a test compares it whole.</summary>
    private static string Json(string body) => JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement);

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
