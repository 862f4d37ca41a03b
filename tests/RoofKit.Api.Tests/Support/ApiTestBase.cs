using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using RoofKit.Testing;
using RoofKit.Api.Tests;

namespace RoofKit.Api.Tests.Support;

/// <summary>A fixture with a freshly emptied database (Respawn), an in-process API and test data helpers.</summary>
public abstract class ApiTestBase
{
    protected NpgsqlDataSource Db { get; private set; } = null!;

    protected TestData Data { get; private set; } = null!;

    protected ApiFactory Factory { get; private set; } = null!;

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected virtual TimeProvider? Clock => null;

    /// <summary>Where the API's warnings go, for tests that check what operators are told.</summary>
    protected LogSink Logs { get; } = new();

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        await AssemblyDatabase.Database.ResetAsync();
        Db = AssemblyDatabase.Database.CreateDataSource();
        Data = new TestData(Db);
        Factory = new ApiFactory(AssemblyDatabase.Database.ConnectionString, Settings, Clock, Logs);
        await OneTimeSetUpAsync();
    }

    protected virtual Task OneTimeSetUpAsync() => Task.CompletedTask;

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        await Factory.DisposeAsync();
        await Db.DisposeAsync();
    }

    protected HttpClient Client(string? token = null, string? clientAddress = null)
    {
        var client = Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientAddress ?? RandomAddress());
        return client;
    }

    /// <summary>A new active workspace and a client with a key of its own (default: leads.read).</summary>
    protected async Task<(Guid Workspace, HttpClient Client)> WorkspaceAsync(params string[] scopes)
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var (_, token) = await Data.KeyAsync(workspace, scopes.Length == 0 ? ["leads.read"] : scopes);
        return (workspace, Client(token));
    }

    protected static string RandomAddress() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Asserts the contract's ErrorResponse shape and returns its error object.</summary>
    protected static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status, string code)
    {
        ((int)response.StatusCode).Should().Be(status, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var error = (await JsonAsync(response)).GetProperty("error");
        error.GetProperty("code").GetString().Should().Be(code);
        error.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        error.GetProperty("request_id").GetString().Should().Be(response.Headers.GetValues("X-Request-Id").Single());
        return error;
    }
}
