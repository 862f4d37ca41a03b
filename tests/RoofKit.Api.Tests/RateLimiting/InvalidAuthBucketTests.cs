using System.Net;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Testing;
using static RoofKit.Api.Tests.RateLimiting.RateLimitResponse;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>
/// The invalid-auth bucket of CONTRACT.md §4, per client address, with a limit of 3 failed authentications per 60 s:
/// past it failures get 429 <c>auth_rate_limited</c>, while valid keys and other addresses are unaffected.
/// </summary>
public sealed class InvalidAuthBucketTests : ApiTestBase
{
    private const int InvalidAuthLimit = 3;
    private const int ListLimit = 25;
    private const string StatusStages = "/api/v1/status-stages";

    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 14, 30, TimeSpan.Zero);
    private readonly TestClock clock = new(Start);

    protected override TimeProvider Clock => clock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:InvalidAuth:PermitLimit"] = InvalidAuthLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:InvalidAuth:WindowSeconds"] = "60",
        ["RateLimits:List:PermitLimit"] = ListLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [SetUp]
    public void ResetClock() => clock.Set(Start);

    [Test]
    public async Task ShouldAnswer429PastTheLimitWhileAValidKeyFromTheSameAddressStillWorks()
    {
        var token = (await Data.KeyAsync((await Data.WorkspaceAsync()).Id)).Token;
        var address = RandomAddress();

        for (var i = 0; i < InvalidAuthLimit; i++)
        {
            var failed = await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages);
            await ErrorAsync(failed, 401, "invalid_api_key");
        }

        var limited = await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages);
        await ErrorAsync(limited, 429, "auth_rate_limited");
        RetryAfter(limited).Should().Be("30");
        int.Parse(RetryAfter(limited), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(1);

        // Malformed and missing keys are failed authentications too.
        await ErrorAsync(await Client("not-a-key", address).GetAsync(StatusStages), 429, "auth_rate_limited");
        await ErrorAsync(await Client(null, address).GetAsync(StatusStages), 429, "auth_rate_limited");

        // A valid key from the same address is served, and the failures cost its own bucket nothing.
        var valid = await Client(token, address).GetAsync(StatusStages);
        valid.StatusCode.Should().Be(HttpStatusCode.OK);
        Limit(valid).Should().Be(ListLimit);
        Remaining(valid).Should().Be(ListLimit - 1);

        // Another address has a bucket of its own.
        await ErrorAsync(await Client(ApiKeyToken.Generate().Text, RandomAddress()).GetAsync(StatusStages), 401, "invalid_api_key");
    }

    [Test]
    public async Task ShouldCountFailuresAgainstTheAddressWhateverKeyTheyName()
    {
        var (_, token) = await Data.KeyAsync((await Data.WorkspaceAsync()).Id);
        var address = RandomAddress();

        // Failures naming a real key (right public id, wrong secret) and made-up keys fill one bucket: the address's.
        await ErrorAsync(await Client(WrongSecretFor(token), address).GetAsync(StatusStages), 401, "invalid_api_key");
        await ErrorAsync(await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages), 401, "invalid_api_key");
        await ErrorAsync(await Client(WrongSecretFor(token), address).GetAsync(StatusStages), 401, "invalid_api_key");
        await ErrorAsync(await Client(WrongSecretFor(token), address).GetAsync(StatusStages), 429, "auth_rate_limited");

        (await Client(WrongSecretFor(token), RandomAddress()).GetAsync(StatusStages)).StatusCode
            .Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task ShouldRestoreTheInvalidAuthBudgetInANewWindow()
    {
        var address = RandomAddress();
        for (var i = 0; i < InvalidAuthLimit; i++)
        {
            await ErrorAsync(await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages), 401, "invalid_api_key");
        }

        var limited = await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages);
        await ErrorAsync(limited, 429, "auth_rate_limited");

        clock.Advance(TimeSpan.FromSeconds(int.Parse(RetryAfter(limited), System.Globalization.CultureInfo.InvariantCulture)));
        await ErrorAsync(await Client(ApiKeyToken.Generate().Text, address).GetAsync(StatusStages), 401, "invalid_api_key");
    }

    [Test]
    public async Task ShouldIgnoreXForwardedForFromAPeerThatIsNotATrustedProxy()
    {
        // The test server's peer is 127.0.0.1; here only 192.0.2.10 is a trusted proxy, so X-Forwarded-For is ignored
        // and every failure counts against 127.0.0.1, whatever address the header claims.
        var settings = Settings;
        settings["Network:TrustedProxies:0"] = "192.0.2.10";
        await using var untrusted = new ApiFactory(AssemblyDatabase.Database.ConnectionString, settings, clock);
        var token = (await Data.KeyAsync((await Data.WorkspaceAsync()).Id)).Token;

        for (var i = 0; i < InvalidAuthLimit; i++)
        {
            var failed = await ClientOf(untrusted, ApiKeyToken.Generate().Text, RandomAddress()).GetAsync(StatusStages);
            await ErrorAsync(failed, 401, "invalid_api_key");
        }

        var limited = await ClientOf(untrusted, ApiKeyToken.Generate().Text, RandomAddress()).GetAsync(StatusStages);
        await ErrorAsync(limited, 429, "auth_rate_limited");

        (await ClientOf(untrusted, token, RandomAddress()).GetAsync(StatusStages)).StatusCode.Should().Be(HttpStatusCode.OK);

        // Control: behind the fixture's host, where 127.0.0.1 is trusted, the claimed address has a bucket of its own.
        await ErrorAsync(await Client(ApiKeyToken.Generate().Text, RandomAddress()).GetAsync(StatusStages), 401, "invalid_api_key");
    }
}
