using System.Net;
using System.Net.Http.Headers;
using Dapper;
using RoofKit.Api.Tests.Reliability;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>
/// Which address a failed authentication counts against (CONTRACT.md §4), over real Kestrel, whose connections have
/// a true peer address (127.0.0.1 here; the in-process test server has none): the TCP peer's, and X-Forwarded-For
/// only from a configured trusted proxy. A client never chooses its bucket.
/// </summary>
public sealed class ClientAddressTests : ApiTestBase
{
    private const string StatusStages = "/api/v1/status-stages";

    /// <summary>A clock that stands still, so that no window ends in the middle of a test.</summary>
    private readonly TestClock clock = new(new DateTimeOffset(2026, 11, 27, 11, 0, 30, TimeSpan.Zero));

    private readonly List<ApiFactory> factories = [];

    protected override TimeProvider Clock => clock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:InvalidAuth:PermitLimit"] = "3",
    };

    [SetUp]
    public async Task EmptyTheCountersAsync()
    {
        await using var delete = Db.CreateCommand("DELETE FROM rate_limit_counters");
        await delete.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task ShouldIgnoreXForwardedForWhenNoProxyIsTrustedAndAnswer429After30FailuresFromOnePeer()
    {
        // The production defaults: no trusted proxy, 30 failed authentications per 60 s.
        await using var factory = new ApiFactory(AssemblyDatabase.Database.ConnectionString, new Dictionary<string, string?>
        {
            ["Network:TrustedProxies:0"] = null,
        }, clock);
        var server = Kestrel.Start(factory);

        var statuses = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await GetAsync(server, ApiKeyToken.Generate().Text, $"10.66.0.{i + 1}");
            statuses.Add((int)response.StatusCode);
            if (i == 39)
            {
                await ErrorAsync(response, 429, "auth_rate_limited");
            }
        }

        statuses.Should().Equal(Enumerable.Repeat(401, 30).Concat(Enumerable.Repeat(429, 10)));
        (await AuthBucketsAsync()).Should().Equal(("auth:127.0.0.1", 40));
    }

    [Test]
    public async Task ShouldBelieveXForwardedForFromATrustedProxyWithOneBucketPerForwardedAddress()
    {
        // The fixture's API trusts 127.0.0.1, the peer of every request here.
        var server = Kestrel.Start(NewTrustingFactory());

        for (var i = 0; i < 3; i++)
        {
            using var failed = await GetAsync(server, ApiKeyToken.Generate().Text, "198.51.100.7");
            await ErrorAsync(failed, 401, "invalid_api_key");
        }

        using (var limited = await GetAsync(server, ApiKeyToken.Generate().Text, "198.51.100.7"))
        {
            await ErrorAsync(limited, 429, "auth_rate_limited");
        }

        using (var other = await GetAsync(server, ApiKeyToken.Generate().Text, "198.51.100.8"))
        {
            await ErrorAsync(other, 401, "invalid_api_key");
        }

        (await AuthBucketsAsync()).Should().Equal(("auth:198.51.100.7", 4), ("auth:198.51.100.8", 1));
    }

    [Test]
    public async Task ShouldNotBelieveAHopThatTheClientWroteLeftOfWhatTheProxyAppended()
    {
        var server = Kestrel.Start(NewTrustingFactory());

        // The proxy appends the address it saw (198.51.100.9); the client made up the entries before it.
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await GetAsync(server, ApiKeyToken.Generate().Text, $"203.0.113.{i + 1}, 198.51.100.9");
            statuses.Add((int)response.StatusCode);
        }

        statuses.Should().Equal(401, 401, 401, 429);
        (await AuthBucketsAsync()).Should().Equal(("auth:198.51.100.9", 4));
    }

    private ApiFactory NewTrustingFactory()
    {
        var factory = new ApiFactory(AssemblyDatabase.Database.ConnectionString, Settings, clock);
        factories.Add(factory);
        return factory;
    }

    [TearDown]
    public async Task DisposeFactoriesAsync()
    {
        foreach (var factory in factories)
        {
            await factory.DisposeAsync();
        }

        factories.Clear();
    }

    private static async Task<HttpResponseMessage> GetAsync(Uri server, string token, string forwardedFor)
    {
        using var client = new HttpClient { BaseAddress = server };
        using var request = new HttpRequestMessage(HttpMethod.Get, StatusStages);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return await client.SendAsync(request);
    }

    private async Task<List<(string Bucket, int Hits)>> AuthBucketsAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, int)>(
            "SELECT bucket, hits FROM rate_limit_counters WHERE bucket LIKE 'auth:%' ORDER BY bucket");
        return rows.ToList();
    }
}
