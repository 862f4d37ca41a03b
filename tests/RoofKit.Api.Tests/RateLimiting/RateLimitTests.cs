using System.Net;
using Dapper;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Testing;
using static RoofKit.Api.Tests.RateLimiting.RateLimitResponse;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>
/// The key buckets of CONTRACT.md §4 with small limits (list and status stages 25, export 5, per 60 s) on a clock
/// the tests move: exact across API hosts, one bucket per key and endpoint, headers on 200, 400 and 429.
/// </summary>
public sealed class RateLimitTests : ApiTestBase
{
    private const int ListLimit = 25;
    private const int ExportLimit = 5;
    private const string StatusStages = "/api/v1/status-stages";
    private const string List = "/api/v1/leads";
    private const string Export = "/api/v1/leads/export";
    private const string Deletions = "/api/v1/leads/deletions";

    // Half-way through the window [10:14:00, 10:15:00).
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 14, 30, TimeSpan.Zero);
    private readonly TestClock clock = new(Start);

    protected override TimeProvider Clock => clock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:List:PermitLimit"] = ListLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:List:WindowSeconds"] = "60",
        ["RateLimits:Export:PermitLimit"] = ExportLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:Export:WindowSeconds"] = "60",
    };

    [SetUp]
    public void ResetClock() => clock.Set(Start);

    // The list policy's endpoints, each of which reads its page while it is counted once its bucket was seen with
    // plenty left (ADR-010): the count still decides, and a refused request gets its 429 without the page.
    [TestCase(StatusStages)]
    [TestCase(List + "?limit=1")]
    [TestCase(Deletions + "?limit=1")]
    public async Task ShouldLetExactlyTheRemainingRequestsThroughAcrossTwoHostsOnOneDatabase(string path)
    {
        await using var second = new ApiFactory(AssemblyDatabase.Database.ConnectionString, Settings, clock);
        var (keyId, token) = await KeyAsync();
        var address = RandomAddress();
        var hosts = new[] { ClientOf(Factory, token, address), ClientOf(second, token, address) };

        // Spend 5 of 25 alternately on both hosts: the count is shared, 20 are left.
        for (var i = 0; i < 5; i++)
        {
            var response = await hosts[i % 2].GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            Remaining(response).Should().Be(ListLimit - 1 - i);
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => hosts[i % 2].GetAsync(path)));

        var ok = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        ok.Should().HaveCount(20);
        limited.Should().HaveCount(30);

        // Every admitted request saw a count of its own: the remaining values are exactly 19 down to 0.
        ok.Select(Remaining).Should().BeEquivalentTo(Enumerable.Range(0, 20));
        foreach (var response in limited)
        {
            await ErrorAsync(response, 429, "rate_limited");
            (await JsonAsync(response)).TryGetProperty("data", out _).Should().BeFalse("a refused request gets no page");
            Remaining(response).Should().Be(0);
            RetryAfter(response).Should().Be("30");
        }

        responses.Should().AllSatisfy(r =>
        {
            Limit(r).Should().Be(ListLimit);
            Reset(r).Should().Be("2026-11-27T10:15:00Z");
        });

        foreach (var host in hosts)
        {
            (await host.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        }

        (await HitsAsync(keyId)).Should().Be(5 + 50 + 2, "every request counted once, whichever host served it");
    }

    [Test]
    public async Task ShouldSendConsistentHeadersOn200And400And429()
    {
        var client = Client((await KeyAsync()).Token);

        var ok = await client.GetAsync(List);
        ok.StatusCode.Should().Be(HttpStatusCode.OK);
        Limit(ok).Should().Be(ListLimit);
        Remaining(ok).Should().Be(ListLimit - 1);
        Reset(ok).Should().Be("2026-11-27T10:15:00Z").And.MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
        ok.Headers.Contains("Retry-After").Should().BeFalse();

        // A bad request costs a request of the bucket and says so.
        var bad = await client.GetAsync(List + "?limit=0");
        await ErrorAsync(bad, 400, "invalid_request");
        Limit(bad).Should().Be(ListLimit);
        Remaining(bad).Should().Be(ListLimit - 2);
        Reset(bad).Should().Be(Reset(ok));
        bad.Headers.Contains("Retry-After").Should().BeFalse();

        for (var expected = ListLimit - 3; expected >= 0; expected--)
        {
            var response = await client.GetAsync(List);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            Remaining(response).Should().Be(expected);
        }

        var limited = await client.GetAsync(List);
        await ErrorAsync(limited, 429, "rate_limited");
        Limit(limited).Should().Be(ListLimit);
        Remaining(limited).Should().Be(0);
        Reset(limited).Should().Be(Reset(ok));
        RetryAfter(limited).Should().Be("30");

        // The bucket is checked before validation: once it is empty, a bad request is 429 too.
        var badWhenEmpty = await client.GetAsync(List + "?limit=0");
        await ErrorAsync(badWhenEmpty, 429, "rate_limited");
        RetryAfter(badWhenEmpty).Should().Be("30");
    }

    /// <summary>
    /// CONTRACT.md §4's order on the overlapped path: this host last saw plenty left, so it reads the page while it
    /// counts, but the bucket was spent through another host; a bad request is then 429, not 400.
    /// </summary>
    [Test]
    public async Task ShouldAnswer429NotABadRequestsValidationWhenAnotherHostSpentTheBucketThisHostSawFull()
    {
        await using var second = new ApiFactory(AssemblyDatabase.Database.ConnectionString, Settings, clock);
        var (_, token) = await KeyAsync();
        var address = RandomAddress();
        var (first, other) = (ClientOf(Factory, token, address), ClientOf(second, token, address));

        Remaining(await first.GetAsync(List)).Should().Be(ListLimit - 1);
        for (var i = 0; i < ListLimit - 1; i++)
        {
            (await other.GetAsync(List)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var bad = await first.GetAsync(List + "?limit=0");

        await ErrorAsync(bad, 429, "rate_limited");
        Remaining(bad).Should().Be(0);
        RetryAfter(bad).Should().Be("30");
    }

    [Test]
    public async Task ShouldSendRateLimitHeadersOnExportResponses()
    {
        var client = Client((await KeyAsync()).Token);

        var csv = await client.GetAsync(Export);
        csv.StatusCode.Should().Be(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        Limit(csv).Should().Be(ExportLimit);
        Remaining(csv).Should().Be(ExportLimit - 1);
        Reset(csv).Should().Be("2026-11-27T10:15:00Z");

        var bad = await client.GetAsync(Export + "?limit=10001");
        await ErrorAsync(bad, 400, "invalid_request");
        Remaining(bad).Should().Be(ExportLimit - 2);

        for (var i = 0; i < ExportLimit - 2; i++)
        {
            (await client.GetAsync(Export)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var limited = await client.GetAsync(Export);
        await ErrorAsync(limited, 429, "rate_limited");
        Limit(limited).Should().Be(ExportLimit);
        Remaining(limited).Should().Be(0);
        Reset(limited).Should().Be("2026-11-27T10:15:00Z");
        RetryAfter(limited).Should().Be("30");
    }

    [Test]
    public async Task ShouldSayInRetryAfterTheWholeSecondsLeftInTheWindowAndAtLeastOne()
    {
        clock.Set(new DateTimeOffset(2026, 11, 27, 10, 14, 0, TimeSpan.Zero));
        var client = Client((await KeyAsync()).Token);
        await SpendAsync(client, Export, ExportLimit);

        foreach (var (at, retryAfter) in new[] { (0.0, "60"), (44.5, "16"), (59.0, "1"), (59.999, "1") })
        {
            clock.Set(new DateTimeOffset(2026, 11, 27, 10, 14, 0, TimeSpan.Zero).AddSeconds(at));
            var response = await client.GetAsync(Export);
            await ErrorAsync(response, 429, "rate_limited");
            RetryAfter(response).Should().Be(retryAfter, $"{at} s into the window");
            Reset(response).Should().Be("2026-11-27T10:15:00Z");
        }
    }

    [Test]
    public async Task ShouldRestoreTheBudgetInANewWindow()
    {
        var client = Client((await KeyAsync()).Token);
        await SpendAsync(client, Export, ExportLimit);
        var limited = await client.GetAsync(Export);
        await ErrorAsync(limited, 429, "rate_limited");

        // Retry-After said 30 s; at the reset instant the next window begins with a full budget.
        clock.Advance(TimeSpan.FromSeconds(int.Parse(RetryAfter(limited), System.Globalization.CultureInfo.InvariantCulture)));
        var next = await client.GetAsync(Export);
        next.StatusCode.Should().Be(HttpStatusCode.OK);
        Limit(next).Should().Be(ExportLimit);
        Remaining(next).Should().Be(ExportLimit - 1);
        Reset(next).Should().Be("2026-11-27T10:16:00Z");
    }

    [Test]
    public async Task ShouldKeepABucketPerEndpointEvenWhereEndpointsShareAPolicy()
    {
        var client = Client((await KeyAsync()).Token);
        await SpendAsync(client, StatusStages, ListLimit);
        await ErrorAsync(await client.GetAsync(StatusStages), 429, "rate_limited");

        // List leads has the same policy (List) as status stages, but a bucket of its own.
        var list = await client.GetAsync(List);
        list.StatusCode.Should().Be(HttpStatusCode.OK);
        Limit(list).Should().Be(ListLimit);
        Remaining(list).Should().Be(ListLimit - 1);

        var export = await client.GetAsync(Export);
        export.StatusCode.Should().Be(HttpStatusCode.OK);
        Remaining(export).Should().Be(ExportLimit - 1);

        await ErrorAsync(await client.GetAsync(StatusStages), 429, "rate_limited");
    }

    [Test]
    public async Task ShouldKeepABucketPerKeyEvenWithinOneWorkspace()
    {
        var workspace = await Data.WorkspaceAsync();
        var first = await Data.KeyAsync(workspace.Id);
        var second = await Data.KeyAsync(workspace.Id);
        var address = RandomAddress();

        await SpendAsync(Client(first.Token, address), StatusStages, ListLimit);
        await ErrorAsync(await Client(first.Token, address).GetAsync(StatusStages), 429, "rate_limited");

        var other = await Client(second.Token, address).GetAsync(StatusStages);
        other.StatusCode.Should().Be(HttpStatusCode.OK);
        Remaining(other).Should().Be(ListLimit - 1);
    }

    [Test]
    public async Task ShouldNotMoveAKeysRemainingCountOnAFailedAuthentication()
    {
        var (keyId, token) = await KeyAsync();
        var address = RandomAddress();
        var first = await Client(token, address).GetAsync(StatusStages);
        Remaining(first).Should().Be(ListLimit - 1);

        // The forged token names the real key (same public id), so it reaches the key lookup and fails there.
        var forged = WrongSecretFor(token);
        for (var i = 0; i < 2; i++)
        {
            var failed = await Client(forged, address).GetAsync(StatusStages);
            await ErrorAsync(failed, 401, "invalid_api_key");
            HasRateLimitHeaders(failed).Should().BeFalse();
        }

        var second = await Client(token, address).GetAsync(StatusStages);
        Remaining(second).Should().Be(ListLimit - 2);
        (await HitsAsync(keyId)).Should().Be(2);

        // Once the key is revoked, its requests fail authentication and leave its bucket where it was.
        (await new ApiKeyAdmin(Db).RevokeAsync(keyId.ToString(), CancellationToken.None)).Should().BeTrue();
        await ErrorAsync(await Client(token, address).GetAsync(StatusStages), 401, "invalid_api_key");
        (await HitsAsync(keyId)).Should().Be(2);
    }

    [Test]
    public async Task ShouldNotCountA403AgainstTheKeysBucket()
    {
        var workspace = await Data.WorkspaceAsync();
        var (keyId, token) = await Data.KeyAsync(workspace.Id, Scopes.LeadsRead);

        var forbidden = await Client(token).GetAsync(Export);

        await ErrorAsync(forbidden, 403, "insufficient_scope");
        HasRateLimitHeaders(forbidden).Should().BeFalse();
        (await HitsAsync(keyId)).Should().Be(0);
    }

    [Test]
    [NonParallelizable]
    public async Task ShouldTakeLimitsFromEnvironmentVariables()
    {
        // No RateLimits settings in memory: the host reads the process environment when it is built.
        await using var factory = new ApiFactory(AssemblyDatabase.Database.ConnectionString, null, clock);
        HttpClient client;
        Environment.SetEnvironmentVariable("RateLimits__Export__PermitLimit", "2");
        Environment.SetEnvironmentVariable("RateLimits__Export__WindowSeconds", "10");
        try
        {
            client = ClientOf(factory, (await KeyAsync()).Token, RandomAddress());
        }
        finally
        {
            Environment.SetEnvironmentVariable("RateLimits__Export__PermitLimit", null);
            Environment.SetEnvironmentVariable("RateLimits__Export__WindowSeconds", null);
        }

        // 10 s windows aligned to the clock: 10:14:30 starts one, which ends at 10:14:40.
        var first = await client.GetAsync(Export);
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        Limit(first).Should().Be(2);
        Remaining(first).Should().Be(1);
        Reset(first).Should().Be("2026-11-27T10:14:40Z");

        (await client.GetAsync(Export)).StatusCode.Should().Be(HttpStatusCode.OK);
        var limited = await client.GetAsync(Export);
        await ErrorAsync(limited, 429, "rate_limited");
        RetryAfter(limited).Should().Be("10");

        // The list policy was left alone and keeps its default of 600 per 60 s.
        var list = await client.GetAsync(List);
        Limit(list).Should().Be(600);
        Reset(list).Should().Be("2026-11-27T10:15:00Z");
    }

    private async Task<(Guid Id, string Token)> KeyAsync() => await Data.KeyAsync((await Data.WorkspaceAsync()).Id);

    private static async Task SpendAsync(HttpClient client, string path, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            var response = await client.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }
    }

    /// <summary>All hits counted against any bucket of the key, straight from PostgreSQL.</summary>
    private async Task<int> HitsAsync(Guid keyId)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<int>(
            "SELECT coalesce(sum(hits), 0)::int FROM rate_limit_counters WHERE bucket LIKE '%' || @Key || '%'",
            new { Key = keyId.ToString("N") });
    }
}
