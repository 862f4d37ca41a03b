using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RoofKit.Client;
using RoofKit.Domain.ApiKeys;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Infrastructure.Seeding;
using RoofKit.Infrastructure.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Client.Tests;

/// <summary>The test database of this assembly, on the throwaway server of `make test`.</summary>
[SetUpFixture]
public sealed class ClientDatabase
{
    public static TestDatabase Database { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task CreateAsync() => Database = await TestDatabase.CreateAsync("roofkit_client");

    [OneTimeTearDown]
    public async Task DropAsync() => await Database.DisposeAsync();
}

/// <summary>The real API in-process, as the generated client meets it.</summary>
public sealed class ClientApiFactory(string connectionString) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = connectionString,
            ["Cursor:SigningKey"] = "client-test-signing-key-0123456789-abcdefghijklmnop",
            ["Sync:SettleLagSeconds"] = "0",
            // Each first page reads the open transactions itself: a test's own writes are in its next window at once.
            ["Sync:HorizonMaxAgeMilliseconds"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        }));
    }
}

/// <summary>A workspace with seeded leads and keys, and generated clients (NSwag's here, Kiota's in KiotaClientTests) that call the API with them.</summary>
public abstract class GeneratedClientTestBase
{
    protected NpgsqlDataSource Db { get; private set; } = null!;

    protected ClientApiFactory Factory { get; private set; } = null!;

    protected Guid WorkspaceId { get; private set; }

    protected string FullKey { get; private set; } = "";

    protected string ReadOnlyKey { get; private set; } = "";

    protected virtual int Leads => 120;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await ClientDatabase.Database.ResetAsync();
        Db = ClientDatabase.Database.CreateDataSource();
        var workspace = await new WorkspaceAdmin(Db).CreateAsync($"client-{Guid.NewGuid():N}"[..20], "Client Test Roofing", CancellationToken.None);
        WorkspaceId = workspace.Id;
        await new LeadSeeder(Db).SeedAsync(workspace.Id, Leads, seed: 42, progress: null, CancellationToken.None);
        var keys = new ApiKeyAdmin(Db);
        FullKey = (await keys.CreateAsync(workspace.Id, "client full", Scopes.All, CancellationToken.None)).Token;
        ReadOnlyKey = (await keys.CreateAsync(workspace.Id, "client read", [Scopes.LeadsRead], CancellationToken.None)).Token;
        Factory = new ClientApiFactory(ClientDatabase.Database.ConnectionString);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Factory.DisposeAsync();
        await Db.DisposeAsync();
    }

    /// <summary>The NSwag client on an HttpClient that sends <paramref name="token"/> (none: no Authorization).</summary>
    protected RoofKitClient Client(string? token) => new(Authorized(Factory.CreateClient(), token));

    /// <summary><paramref name="http"/>, sending <paramref name="token"/> as its Bearer key (none: no Authorization).</summary>
    protected static HttpClient Authorized(HttpClient http, string? token)
    {
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    protected static string Header(IReadOnlyDictionary<string, IEnumerable<string>> headers, string name) =>
        headers.Single(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value.Single();

    protected static bool HasHeader(IReadOnlyDictionary<string, IEnumerable<string>> headers, string name) =>
        headers.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    protected static HttpStatusCode Status(RoofKitApiException exception) => (HttpStatusCode)exception.StatusCode;
}
