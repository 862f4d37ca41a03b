using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dapper;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Observability;

/// <summary>
/// <c>/metrics</c> as Prometheus scrapes it, from the metrics port of a running API: our counters move by exactly what
/// the requests did, the framework's and Npgsql's meters are there, and no key, workspace or secret is.
/// </summary>
public sealed class MetricsTests : ApiTestBase
{
    private readonly int metricsPort = FreePort();
    private Guid workspaceId;
    private (Guid Id, string Token) key;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Metrics:Enabled"] = "true",
        ["Metrics:Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
        ["RateLimits:Export:PermitLimit"] = "2",
        ["Exports:MaxConcurrentPerWorkspace"] = "1",
    };

    /// <summary>A clock that stands still, so that no rate-limit window ends between the requests that must reach 429.</summary>
    protected override TimeProvider? Clock { get; } = new TestClock(DateTimeOffset.UtcNow);

    private HttpClient Scraper { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected override async Task OneTimeSetUpAsync()
    {
        workspaceId = (await Data.WorkspaceAsync()).Id;
        for (var i = 0; i < 12; i++)
        {
            await Data.LeadAsync(workspaceId, DateTime.UtcNow.AddDays(-1).AddMinutes(i));
        }

        key = await Data.KeyAsync(workspaceId);
        // Starts the API, and with it the metrics listener.
        (await Client().GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [OneTimeTearDown]
    public void DisposeScraper() => Scraper.Dispose();

    [Test]
    public async Task ShouldCountExactlyTheRowsExportedAndEveryRejection()
    {
        var before = await ScrapeAsync();

        var client = Client(key.Token);
        var first = await client.GetAsync("/api/v1/leads/export?limit=7");
        var second = await client.GetAsync("/api/v1/leads/export?limit=3");
        var third = await client.GetAsync("/api/v1/leads/export?limit=1");
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        await ErrorAsync(third, 429, "rate_limited");
        var rows = RowCount(first) + RowCount(second);
        rows.Should().Be(10);
        (await Client(ApiKeyToken.Generate().Text).GetAsync("/api/v1/leads")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await Client().GetAsync("/api/v1/leads")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var after = await ScrapeAsync();

        Delta(before, after, "roofkit_rows_exported_total").Should().Be(rows);
        Delta(before, after, "roofkit_rate_limit_rejections_total", "endpoint=\"export_leads\"").Should().Be(1);
        Delta(before, after, "roofkit_rate_limit_rejections_total").Should().Be(1);
        Delta(before, after, "roofkit_auth_rejections_total", "code=\"invalid_api_key\"").Should().Be(1);
        Delta(before, after, "roofkit_auth_rejections_total", "code=\"missing_api_key\"").Should().Be(1);
        // Each export run fixes its sync watermark once; the 429 stopped before its run began.
        Delta(before, after, "roofkit_sync_watermark_lag_seconds_count").Should().Be(2);
        Delta(before, after, "roofkit_export_concurrency_rejections_total").Should().Be(0);
    }

    [Test]
    public async Task ShouldCountAnExportRefusedForWantOfASlot()
    {
        var other = (await Data.WorkspaceAsync()).Id;
        await Data.LeadAsync(other, DateTime.UtcNow.AddDays(-1));
        var otherKey = (await Data.KeyAsync(other)).Token;
        await using (var connection = await Db.OpenConnectionAsync())
        {
            // Another instance holds the workspace's one export slot.
            (await connection.ExecuteScalarAsync<bool>("SELECT claim_export_lease(@other, gen_random_uuid(), 1, 900)", new { other }))
                .Should().BeTrue();
        }

        var before = await ScrapeAsync();
        await ErrorAsync(await Client(otherKey).GetAsync("/api/v1/leads/export"), 429, "concurrency_limited");
        var after = await ScrapeAsync();

        Delta(before, after, "roofkit_export_concurrency_rejections_total").Should().Be(1);
        Delta(before, after, "roofkit_rows_exported_total").Should().Be(0);
    }

    [Test]
    public async Task ShouldExposeAspNetCoreRuntimeAndNpgsqlMetersButNoIdentifierOrSecret()
    {
        (await Client(key.Token).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(HttpStatusCode.OK);

        var text = await ScrapeTextAsync();

        text.Should().Contain("http_server_request_duration_seconds_bucket", "ASP.NET Core's hosting meter")
            .And.Contain("dotnet_gc_collections", ".NET runtime's meter")
            .And.Contain("db_client_", "Npgsql's meter")
            .And.Contain("service_name=\"roofkit-api\"");
        text.Should().Contain("\"roofkit-api\"").And.Contain("\"roofkit-api-read\"", "Npgsql's pools are named by their role");
        text.Should().NotContainAny(
            [key.Id.ToString(), workspaceId.ToString(), "rk_live_", "Password", ApiFactory.SigningKey],
            "metrics are tagged by endpoint and outcome, never by key or workspace, and hold no secret");
    }

    [Test]
    public async Task ShouldServeMetricsOnTheMetricsPortOnlyAndThePartnerApiNotThere()
    {
        (await Client().GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound, "the partner port does not serve metrics");

        using var partner = await Scraper.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/api/v1/status-stages"));
        partner.StatusCode.Should().Be(HttpStatusCode.NotFound, "the metrics port serves /metrics alone");

        using var metrics = await Scraper.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        metrics.StatusCode.Should().Be(HttpStatusCode.OK);
        metrics.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
    }

    [Test]
    public async Task ShouldStartAndWarnWhenTheMetricsPortIsTaken()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var logs = new LogSink();
        await using var api = new ApiFactory(AssemblyDatabase.Database.ConnectionString, new Dictionary<string, string?>
        {
            ["Metrics:Enabled"] = "true",
            ["Metrics:Port"] = port.ToString(CultureInfo.InvariantCulture),
        }, logs: logs);

        (await api.CreateClient().GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK, "a taken metrics port costs the metrics only");
        logs.Entries.Should().Contain(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.Contains($"cannot listen on http://127.0.0.1:{port}", StringComparison.Ordinal));
    }

    private async Task<string> ScrapeTextAsync()
    {
        using var response = await Scraper.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every sample of the scrape: the series (name and labels as written) and its value.</summary>
    private async Task<List<(string Name, string Labels, double Value)>> ScrapeAsync()
    {
        var samples = new List<(string, string, double)>();
        foreach (var line in (await ScrapeTextAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.LastIndexOf(' ');
            var name = brace >= 0 && brace < space ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var labels = brace >= 0 && brace < space ? line[brace..(line.LastIndexOf('}') + 1)] : "";
            // A sample may end with a timestamp after its value.
            var rest = line[(brace >= 0 && brace < space ? line.LastIndexOf('}') + 1 : name.Length)..].Trim().Split(' ');
            if (double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples.Add((name, labels, value));
            }
        }

        return samples;
    }

    /// <summary>How much the series of <paramref name="name"/> (those with <paramref name="label"/>, if given) rose in all.</summary>
    private static double Delta(
        List<(string Name, string Labels, double Value)> before, List<(string Name, string Labels, double Value)> after, string name, string? label = null)
    {
        double Sum(List<(string Name, string Labels, double Value)> samples) =>
            samples.Where(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))).Sum(s => s.Value);
        return Sum(after) - Sum(before);
    }

    private static int RowCount(HttpResponseMessage response) =>
        int.Parse(response.Headers.GetValues("X-Export-Row-Count").Single(), CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
