using System.Net.Http.Headers;
using Dapper;
using Npgsql;
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
    public async Task ShouldRecordLastUseAtMostOncePerMinuteAcrossInstances()
    {
        var (id, token) = await Data.KeyAsync(workspaceId);
        await using var updates = await ApiKeyUpdates.ListenAsync(Db);
        var other = new RoofKit.Testing.TestClock(DateTimeOffset.UtcNow);
        await using var secondInstance = new ApiFactory(AssemblyDatabase.Database.ConnectionString, clock: other);
        (await LastUsedAsync(id)).Should().BeNull();

        (await Client(token).GetAsync("/api/v1/status-stages")).EnsureSuccessStatusCode();
        await updates.NextAsync("the first use of a key writes its last_used_at");
        var first = await LastUsedAsync(id);
        first.Should().NotBeNull();

        // Another instance has not seen the key yet, so it asks the database, which knows the last write is inside the minute.
        (await SecondInstanceClient(secondInstance, token).GetAsync("/api/v1/status-stages")).EnsureSuccessStatusCode();
        await updates.NextAsync("another instance's first use of the key goes to the database");
        (await LastUsedAsync(id)).Should().Be(first, "a use within a minute of the last write must not write again");

        // A minute later (by the database's clock and by the instance's), the next use writes again.
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = @id", new { id });
        }

        var backdated = await LastUsedAsync(id);
        other.Advance(TimeSpan.FromSeconds(61));
        (await SecondInstanceClient(secondInstance, token).GetAsync("/api/v1/status-stages")).EnsureSuccessStatusCode();
        await updates.NextAsync("the first use after a minute goes to the database");
        (await LastUsedAsync(id)).Should().BeAfter(backdated!.Value, "the first use after a minute writes again");
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

    private static HttpClient SecondInstanceClient(ApiFactory factory, string token)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", RandomAddress());
        return client;
    }

    private async Task<DateTime?> LastUsedAsync(Guid id)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<DateTime?>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id });
    }

    /// <summary>
    /// Tells the test when an API instance has run an UPDATE of api_keys and committed it, whether or not the statement
    /// changed a row (a statement-level trigger fires for zero rows too, and a notification is delivered at commit). The
    /// write of last_used_at runs off the request's path, so this is the event after which its effect can be checked.
    /// The trigger exists only while the test listens.
    /// </summary>
    private sealed class ApiKeyUpdates : IAsyncDisposable
    {
        private const string Channel = "roofkit_test_api_keys_updated";
        private readonly NpgsqlDataSource db;
        private readonly Npgsql.NpgsqlConnection listener;
        private readonly System.Threading.Channels.Channel<string> received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource stop = new();
        private Task pump = Task.CompletedTask;

        private ApiKeyUpdates(NpgsqlDataSource db, Npgsql.NpgsqlConnection listener)
        {
            this.db = db;
            this.listener = listener;
        }

        public static async Task<ApiKeyUpdates> ListenAsync(NpgsqlDataSource db)
        {
            await using (var connection = await db.OpenConnectionAsync())
            {
                await connection.ExecuteAsync($$"""
                    CREATE OR REPLACE FUNCTION roofkit_test_notify_api_keys_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
                    BEGIN
                        PERFORM pg_notify('{{Channel}}', current_setting('application_name'));
                        RETURN NULL;
                    END
                    $fn$;
                    CREATE TRIGGER roofkit_test_api_keys_updated AFTER UPDATE ON api_keys
                        FOR EACH STATEMENT EXECUTE FUNCTION roofkit_test_notify_api_keys_updated();
                    """);
            }

            var updates = new ApiKeyUpdates(db, await db.OpenConnectionAsync());
            updates.listener.Notification += (_, e) => updates.received.Writer.TryWrite(e.Payload);
            await updates.listener.ExecuteAsync($"LISTEN {Channel}");
            updates.pump = updates.PumpAsync();
            return updates;
        }

        /// <summary>Waits for the next UPDATE of api_keys by an API instance (the test's own statements do not count).</summary>
        public async Task NextAsync(string because)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (!(await received.Reader.ReadAsync(patience.Token)).StartsWith("roofkit-api", StringComparison.Ordinal))
                {
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no API instance updated api_keys: {because}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await pump;
            // The connection goes back to the pool, which need not reset it: it must not keep listening.
            await listener.ExecuteAsync("UNLISTEN *");
            await listener.DisposeAsync();
            await using var connection = await db.OpenConnectionAsync();
            await connection.ExecuteAsync("""
                DROP TRIGGER IF EXISTS roofkit_test_api_keys_updated ON api_keys;
                DROP FUNCTION IF EXISTS roofkit_test_notify_api_keys_updated();
                """);
            stop.Dispose();
        }

        private async Task PumpAsync()
        {
            try
            {
                while (true)
                {
                    await listener.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
