using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Over real HTTP (Kestrel, as in production): every response, whatever its status, carries
/// <c>X-Content-Type-Options: nosniff</c>, and none says what server or framework (or which version) answered.
/// </summary>
public sealed class SecurityHeadersTests : ApiTestBase
{
    private static readonly string[] BannerHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-SourceFiles"];
    private static readonly string[] BannerWords = ["Kestrel", "Microsoft", "ASP.NET", "dotnet", ".NET", "NSwag/"];

    private Uri address = null!;
    private Guid workspaceId;
    private string key = "";
    private string readOnlyKey = "";
    private string suspendedKey = "";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:Export:PermitLimit"] = "2",
    };

    /// <summary>A clock that stands still, so no rate-limit window ends between the requests that must reach 429.</summary>
    protected override TimeProvider? Clock { get; } = new TestClock(DateTimeOffset.UtcNow);

    protected override async Task OneTimeSetUpAsync()
    {
        workspaceId = (await Data.WorkspaceAsync()).Id;
        await Data.SeedAsync(workspaceId, 30);
        key = (await Data.KeyAsync(workspaceId)).Token;
        readOnlyKey = (await Data.KeyAsync(workspaceId, Scopes.LeadsRead)).Token;
        suspendedKey = (await Data.KeyAsync((await Data.WorkspaceAsync(WorkspaceStatus.Suspended)).Id)).Token;
        address = Kestrel.Start(Factory);
    }

    [Test]
    public async Task ShouldSendNosniffAndNoServerBannerWithEveryStatus()
    {
        var responses = new List<(string What, HttpResponseMessage Response)>
        {
            ("list 200", await GetAsync("/api/v1/leads", key)),
            ("export 200", await GetAsync("/api/v1/leads/export?limit=5", (await Data.KeyAsync(workspaceId)).Token)),
            ("export 200 gzip", await GetAsync("/api/v1/leads/export?limit=5", (await Data.KeyAsync(workspaceId)).Token, "gzip")),
            ("list 200 br", await GetAsync("/api/v1/leads", key, "br")),
            ("status stages 200", await GetAsync("/api/v1/status-stages", key)),
            ("healthz 200", await GetAsync("/healthz", null)),
            ("openapi 200", await GetAsync("/openapi/v1.json", null)),
            ("docs", await GetAsync("/docs", null)),
            ("docs page", await GetAsync("/docs/index.html", null)),
            ("400 invalid_request", await GetAsync("/api/v1/leads?limit=0", key)),
            ("400 unknown_parameter", await GetAsync("/api/v1/leads?x=1", key)),
            ("400 invalid_cursor", await GetAsync("/api/v1/leads/export?cursor=abc", (await Data.KeyAsync(workspaceId)).Token)),
            ("401 missing_api_key", await GetAsync("/api/v1/leads", null)),
            ("401 invalid_api_key", await GetAsync("/api/v1/leads", ApiKeyToken.Generate().Text)),
            ("403 insufficient_scope", await GetAsync("/api/v1/leads/export", readOnlyKey)),
            ("403 workspace_inactive", await GetAsync("/api/v1/status-stages", suspendedKey)),
            ("404", await GetAsync("/api/v1/nothing-here", key)),
            ("405", await SendAsync(HttpMethod.Post, "/api/v1/leads", key)),
            ("HEAD", await SendAsync(HttpMethod.Head, "/healthz", null)),
        };

        var limited = (await Data.KeyAsync(workspaceId)).Token;
        HttpResponseMessage last = null!;
        for (var i = 0; i < 3; i++)
        {
            last = await GetAsync("/api/v1/leads/export?limit=1", limited);
        }

        responses.Add(("429 rate_limited", last));
        using (var client = Kestrel.Client(address, clientAddress: "10.250.0.1"))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rk_live_nope");
            for (var i = 0; i < 31; i++)
            {
                last = await client.GetAsync("/api/v1/status-stages");
            }
        }

        responses.Add(("429 auth_rate_limited", last));

        responses.Select(r => ((int)r.Response.StatusCode).ToString()).Distinct().Should()
            .Contain(["200", "400", "401", "403", "404", "405", "429"], "the responses must span the statuses");
        foreach (var (what, response) in responses)
        {
            Problems(response).Should().BeEmpty($"{what} ({(int)response.StatusCode})");
        }
    }

    [Test]
    public async Task ShouldSendNosniffAndNoServerBannerWhileTheDatabaseIsDown()
    {
        await using var down = new ApiFactory(
            $"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none",
            new Dictionary<string, string?> { ["Logging:LogLevel:RoofKit.Api.Errors.ApiExceptionHandler"] = "Critical" });
        using var client = Kestrel.Client(Kestrel.Start(down), ApiKeyToken.Generate().Text);

        using var health = await client.GetAsync("/healthz");
        using var api = await client.GetAsync("/api/v1/leads/export");

        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        api.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        Problems(health).Should().BeEmpty("503 healthz");
        Problems(api).Should().BeEmpty("503 unavailable");
    }

    private static List<string> Problems(HttpResponseMessage response)
    {
        var problems = new List<string>();
        var nosniff = response.Headers.TryGetValues("X-Content-Type-Options", out var values) ? values.ToList() : [];
        if (nosniff is not ["nosniff"])
        {
            problems.Add($"X-Content-Type-Options is [{string.Join(", ", nosniff)}], not exactly nosniff");
        }

        var headers = response.Headers.Concat(response.Content.Headers).ToList();
        foreach (var (name, headerValues) in headers)
        {
            if (BannerHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"a {name} header: {string.Join(", ", headerValues)}");
            }
            else if (headerValues.FirstOrDefault(v => BannerWords.Any(w => v.Contains(w, StringComparison.OrdinalIgnoreCase))) is { } banner)
            {
                problems.Add($"{name} names the software: {banner}");
            }
        }

        return problems;
    }

    private Task<HttpResponseMessage> GetAsync(string path, string? token, string? acceptEncoding = null) =>
        SendAsync(HttpMethod.Get, path, token, acceptEncoding);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? acceptEncoding = null)
    {
        using var client = Kestrel.Client(address, token);
        using var request = new HttpRequestMessage(method, path);
        if (acceptEncoding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(acceptEncoding);
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
