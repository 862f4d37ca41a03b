using System.Net.Http.Headers;
using Dapper;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Infrastructure.ApiKeys;

namespace RoofKit.Api.Tests.Authentication;

public sealed class AuthenticationTests : ApiTestBase
{
    private const string InvalidChallenge = "Bearer realm=\"RoofKit Partner API\", error=\"invalid_token\"";
    private Guid workspaceId;
    private string validKey = "";

    protected override async Task OneTimeSetUpAsync()
    {
        workspaceId = (await Data.WorkspaceAsync()).Id;
        validKey = (await Data.KeyAsync(workspaceId)).Token;
    }

    [TestCase("/api/v1/leads")]
    [TestCase("/api/v1/leads/export")]
    [TestCase("/api/v1/status-stages")]
    public async Task ShouldReturn401MissingApiKeyWithoutAuthorizationHeader(string path)
    {
        var response = await Client().GetAsync(path);

        await ErrorAsync(response, 401, "missing_api_key");
        response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer realm=\"RoofKit Partner API\"");
    }

    [Test]
    public async Task ShouldReturn401MissingApiKeyForEmptyBearerToken()
    {
        var client = Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer ");

        await ErrorAsync(await client.GetAsync("/api/v1/status-stages"), 401, "missing_api_key");
    }

    public static IEnumerable<TestCaseData> InvalidAuthorizations()
    {
        var good = ApiKeyToken.Generate().Text;
        yield return new TestCaseData("Basic dXNlcjpwYXNz").SetName("wrong scheme");
        yield return new TestCaseData("Bearer not-a-key").SetName("malformed");
        yield return new TestCaseData("Bearer rk_live_short").SetName("too short");
        yield return new TestCaseData("Bearer " + good[..^1] + (good[^1] == 'A' ? 'B' : 'A')).SetName("bad checksum");
        yield return new TestCaseData("Bearer " + good).SetName("unknown key with valid checksum");
        yield return new TestCaseData("Bearer " + good.Replace("rk_live_", "rk_test_", StringComparison.Ordinal)).SetName("wrong prefix");
    }

    [TestCaseSource(nameof(InvalidAuthorizations))]
    public async Task ShouldReturn401InvalidApiKeyWithOneMessage(string authorization)
    {
        var client = Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.GetAsync("/api/v1/status-stages");

        var error = await ErrorAsync(response, 401, "invalid_api_key");
        error.GetProperty("message").GetString().Should().Be("The API key is not valid.");
        response.Headers.WwwAuthenticate.ToString().Should().Be(InvalidChallenge);
    }

    [Test]
    public async Task ShouldRefuseRevokedAndDeletedKeysAtOnceWithTheSameAnswerAsUnknownKeys()
    {
        var revoked = await Data.KeyAsync(workspaceId);
        var deleted = await Data.KeyAsync(workspaceId);
        (await Client(revoked.Token).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        (await Client(deleted.Token).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);

        var admin = new ApiKeyAdmin(Db);
        (await admin.RevokeAsync(revoked.Id.ToString(), CancellationToken.None)).Should().BeTrue();
        (await admin.DeleteAsync(deleted.Id.ToString(), CancellationToken.None)).Should().BeTrue();

        var unknown = await Client(ApiKeyToken.Generate().Text).GetAsync("/api/v1/status-stages");
        var unknownBody = (await JsonAsync(unknown)).GetProperty("error").GetProperty("message").GetString();
        foreach (var token in new[] { revoked.Token, deleted.Token })
        {
            var response = await Client(token).GetAsync("/api/v1/status-stages");
            var error = await ErrorAsync(response, 401, "invalid_api_key");
            error.GetProperty("message").GetString().Should().Be(unknownBody);
            response.Headers.WwwAuthenticate.ToString().Should().Be(InvalidChallenge);
        }
    }

    [Test]
    public async Task ShouldAcceptAValidKey()
    {
        var response = await Client(validKey).GetAsync("/api/v1/status-stages");

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        response.Headers.Contains("WWW-Authenticate").Should().BeFalse();
    }

    [Test]
    public async Task ShouldStoreOnlyTheHashOfTheSecret()
    {
        var (id, token) = await Data.KeyAsync(workspaceId);
        await using var connection = await Db.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<string>("SELECT row_to_json(k)::text FROM api_keys k WHERE id = @id", new { id });
        ApiKeyToken.TryParse(token, out var parsed).Should().BeTrue();

        row.Should().NotContain(parsed!.Secret).And.NotContain(token);
        var hash = await connection.QuerySingleAsync<byte[]>("SELECT secret_hash FROM api_keys WHERE id = @id", new { id });
        hash.Should().Equal(ApiKeyToken.HashSecret(parsed.Secret));
    }

    [Test]
    public async Task ShouldRecordLastUseAtMostOncePerMinute()
    {
        var (id, token) = await Data.KeyAsync(workspaceId);
        await using var connection = await Db.OpenConnectionAsync();
        (await connection.QuerySingleAsync<DateTime?>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id })).Should().BeNull();

        (await Client(token).GetAsync("/api/v1/status-stages")).EnsureSuccessStatusCode();
        var first = await PollLastUsedAsync(connection, id);
        first.Should().NotBeNull();

        // Pretend the first write happened 30 s ago: a use now is inside the minute and must not write again.
        await connection.ExecuteAsync("UPDATE api_keys SET last_used_at = now() - interval '30 seconds' WHERE id = @id", new { id });
        var backdated = await connection.QuerySingleAsync<DateTime>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id });
        for (var i = 0; i < 3; i++)
        {
            (await Client(token).GetAsync("/api/v1/status-stages")).EnsureSuccessStatusCode();
        }

        await Task.Delay(300);
        (await connection.QuerySingleAsync<DateTime>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id }))
            .Should().Be(backdated);
    }

    [Test]
    public async Task ShouldPutARequestIdOnEveryResponse()
    {
        var responses = new[]
        {
            await Client().GetAsync("/api/v1/leads"),
            await Client(validKey).GetAsync("/api/v1/status-stages"),
            await Client(validKey).GetAsync("/api/v1/leads?limit=0"),
            await Client().GetAsync("/healthz"),
            await Client().GetAsync("/no/such/path"),
        };

        responses.Select(r => r.Headers.GetValues("X-Request-Id").Single()).Should().OnlyHaveUniqueItems()
            .And.AllSatisfy(id => id.Should().NotBeNullOrWhiteSpace());
        responses.Should().AllSatisfy(r => r.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff"));
        responses.Should().AllSatisfy(r => r.Headers.Contains("Server").Should().BeFalse());
    }

    private static async Task<DateTime?> PollLastUsedAsync(Npgsql.NpgsqlConnection connection, Guid id)
    {
        for (var i = 0; i < 50; i++)
        {
            var value = await connection.QuerySingleAsync<DateTime?>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id });
            if (value is not null)
            {
                return value;
            }

            await Task.Delay(100);
        }

        return null;
    }
}
