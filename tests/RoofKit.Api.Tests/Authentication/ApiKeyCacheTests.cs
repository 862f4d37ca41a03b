using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Infrastructure.Persistence;
using RoofKit.Infrastructure.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Authentication;

/// <summary>
/// Two API instances on one database, each with its key cache on (ADR-010) and a maximum age far longer than any
/// test, so only a change notification can take a key out: a change committed through one is refused by the other
/// within a second (CONTRACT.md §2), also when the other's notification connection has just dropped.
/// </summary>
public sealed class ApiKeyCacheTests : ApiTestBase
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(1);
    private ApiFactory other = null!;

    protected override IDictionary<string, string?> Settings => HostSettings("roofkit-cache-test-one");

    protected override async Task OneTimeSetUpAsync()
    {
        other = new ApiFactory(ConnectionString("roofkit-cache-test-other"), HostSettings("roofkit-cache-test-other"));
        await ListeningAsync(Factory);
        await ListeningAsync(other);
    }

    [OneTimeTearDown]
    public async Task StopOtherAsync() => await other.DisposeAsync();

    [Test]
    public async Task ShouldRefuseAKeyRevokedThroughOneInstanceOnTheOtherWithinASecond()
    {
        var (workspace, key) = await CachedKeyAsync();

        (await Factory.Services.GetRequiredService<ApiKeyAdmin>().RevokeAsync(key.Id.ToString(), CancellationToken.None)).Should().BeTrue();

        var elapsed = await RefusedAsync(other, key.Token, HttpStatusCode.Unauthorized, Within);
        elapsed.Should().BeLessThan(Within, "a revoked key stops working at once on every instance (workspace {0})", workspace);
    }

    [Test]
    public async Task ShouldRefuseAKeyOfASuspendedWorkspaceOnTheOtherInstanceWithinASecond()
    {
        var (workspace, key) = await CachedKeyAsync();
        var slug = await SqlAsync(c => c.ExecuteScalarAsync<string>("SELECT slug FROM workspaces WHERE id = @workspace", new { workspace }));

        (await Factory.Services.GetRequiredService<WorkspaceAdmin>().SetStatusAsync(slug!, WorkspaceStatus.Suspended, CancellationToken.None))
            .Should().BeTrue();

        var elapsed = await RefusedAsync(other, key.Token, HttpStatusCode.Forbidden, Within);
        elapsed.Should().BeLessThan(Within);
    }

    [Test]
    public async Task ShouldServeAKeyFromTheCacheUntilAChangeIsNotified()
    {
        var (_, key) = await CachedKeyAsync();

        // A change made without its notification is not seen: the key is served from the cache, not read again.
        await RevokeWithoutNotificationAsync(key.Id);

        (await Get(other, key.Token)).StatusCode.Should().Be(HttpStatusCode.OK, "the other instance's cached key is still trusted");

        await SqlAsync(c => c.ExecuteAsync($"NOTIFY {ApiKeyChangeListener.Channel}"));
        var elapsed = await RefusedAsync(other, key.Token, HttpStatusCode.Unauthorized, Within);
        elapsed.Should().BeLessThan(Within);
    }

    [Test]
    public async Task ShouldNotMissARevocationCommittedWhileTheNotificationConnectionIsDown()
    {
        var (_, key) = await CachedKeyAsync();

        await SqlAsync(c => c.ExecuteAsync(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'roofkit-cache-test-other-keys'"));
        (await new ApiKeyAdmin(Db).RevokeAsync(key.Id.ToString(), CancellationToken.None)).Should().BeTrue();

        // The notification went to a connection that no longer exists; the drop is found by the next probe (0.2 s
        // here), and what the cache held goes with it.
        await RefusedAsync(other, key.Token, HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5));
        await ListeningAsync(other);
    }

    [Test]
    public async Task ShouldReadAKeyAgainOnceItIsFiveSecondsOldEvenIfNoChangeWasNotified()
    {
        // CONTRACT.md §2: a cache lives a few seconds at most, whatever happens to the notifications. The default
        // maximum age (5 s) on a clock the test moves.
        var clock = new TestClock(DateTimeOffset.UtcNow);
        var settings = HostSettings("roofkit-cache-test-clock");
        settings["ApiKeys:CacheMaxAgeSeconds"] = null;   // neither the tests' 0 nor this fixture's hour: appsettings.json's
        await using var host = new ApiFactory(ConnectionString("roofkit-cache-test-clock"), settings, clock);
        await ListeningAsync(host);
        var workspace = (await Data.WorkspaceAsync()).Id;
        var key = await Data.KeyAsync(workspace, Scopes.LeadsRead);
        (await Get(host, key.Token)).StatusCode.Should().Be(HttpStatusCode.OK);

        await RevokeWithoutNotificationAsync(key.Id);
        clock.Advance(TimeSpan.FromSeconds(4.9));
        (await Get(host, key.Token)).StatusCode.Should().Be(HttpStatusCode.OK, "the key read 4.9 s ago is still trusted");

        clock.Advance(TimeSpan.FromSeconds(0.2));
        (await Get(host, key.Token)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "past 5 s the key is read again");
    }

    /// <summary>Revokes a key with the change trigger off, in this transaction only: no instance hears of it.</summary>
    private async Task RevokeWithoutNotificationAsync(Guid keyId)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("ALTER TABLE api_keys DISABLE TRIGGER api_keys_notify_change", transaction: transaction);
        await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = now() WHERE id = @keyId", new { keyId }, transaction);
        await connection.ExecuteAsync("ALTER TABLE api_keys ENABLE TRIGGER api_keys_notify_change", transaction: transaction);
        await transaction.CommitAsync();
    }

    /// <summary>A new workspace and key, served once by each instance and so in the other's cache.</summary>
    private async Task<(Guid Workspace, (Guid Id, string Token) Key)> CachedKeyAsync()
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var key = await Data.KeyAsync(workspace, Scopes.LeadsRead);
        await ListeningAsync(other);
        (await Get(Factory, key.Token)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Get(other, key.Token)).StatusCode.Should().Be(HttpStatusCode.OK);
        ApiKeyToken.TryParse(key.Token, out var parsed).Should().BeTrue();
        other.Services.GetRequiredService<ApiKeyCache>().TryGet(parsed!.PublicId, out _)
            .Should().BeTrue("the test is about a key the other instance serves from its cache");
        return (workspace, key);
    }

    private async Task<T> SqlAsync<T>(Func<Npgsql.NpgsqlConnection, Task<T>> run)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await run(connection);
    }

    private static async Task<TimeSpan> RefusedAsync(ApiFactory host, string token, HttpStatusCode refusal, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = (await Get(host, token)).StatusCode;
            if (status == refusal)
            {
                return clock.Elapsed;
            }

            status.Should().Be(HttpStatusCode.OK);
            clock.Elapsed.Should().BeLessThan(deadline, "the change must reach the other instance's cache");
            await Task.Delay(10);
        }
    }

    private static async Task ListeningAsync(ApiFactory host)
    {
        var cache = host.Services.GetRequiredService<ApiKeyCache>();
        var clock = Stopwatch.StartNew();
        while (!cache.Listening)
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "the instance listens for key changes once it runs");
            await Task.Delay(20);
        }
    }

    private static Task<HttpResponseMessage> Get(ApiFactory host, string token)
    {
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client.GetAsync("/api/v1/status-stages");
    }

    private static Dictionary<string, string?> HostSettings(string applicationName) => new()
    {
        ["ConnectionStrings:Default"] = ConnectionString(applicationName),
        ["ApiKeys:CacheMaxAgeSeconds"] = "3600",
        ["ApiKeys:ListenerProbeSeconds"] = "0.2",
    };

    private static string ConnectionString(string applicationName)
    {
        var builder = ConnectionStrings.Parse(AssemblyDatabase.Database.ConnectionString);
        builder.ApplicationName = applicationName;
        return builder.ConnectionString;
    }
}
