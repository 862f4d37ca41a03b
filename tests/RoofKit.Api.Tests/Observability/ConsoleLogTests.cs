using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using RoofKit.Api.Tests.OpenApi;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Observability;

/// <summary>
/// The API as operators run it (<c>dotnet RoofKit.Api.dll</c>, Production, its appsettings.json, a home directory of its
/// own as on a fresh machine), read from its console: JSON lines, a start without a warning, and the request's ids,
/// never the key, on every line the application writes for a request.
/// </summary>
public sealed class ConsoleLogTests : ApiTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ConcurrentQueue<string> lines = new();
    private Process api = null!;
    private string home = "";
    private Uri address = null!;
    private IReadOnlyList<string> startLines = [];
    private Guid workspaceId;
    private (Guid Id, string Token) key;

    protected override async Task OneTimeSetUpAsync()
    {
        workspaceId = (await Data.WorkspaceAsync()).Id;
        key = await Data.KeyAsync(workspaceId);
        home = Directory.CreateTempSubdirectory("roofkit-home-").FullName;
        (api, address) = Start(AssemblyDatabase.Database.ConnectionString, lines);
        await WaitForAsync(api, lines, () => lines.Any(l => l.Contains("Application started", StringComparison.Ordinal)), "the API to start");
        startLines = [.. lines];
    }

    [OneTimeTearDown]
    public async Task StopProcessAsync()
    {
        await StopAsync(api);
        Directory.Delete(home, recursive: true);
    }

    [Test]
    public void ShouldStartWithJsonLinesAndNoWarning()
    {
        startLines.Should().NotBeEmpty();
        var entries = startLines.Select(Parse).ToList();
        entries.Should().Contain(e => e.Level == "Information" && e.Category == "Microsoft.Hosting.Lifetime");
        entries.Where(e => e.Level is "Warning" or "Error" or "Critical").Select(e => e.Line)
            .Should().BeEmpty("a clean start logs nothing an operator must look at (no DataProtection keys, for one)");
    }

    [Test]
    public async Task ShouldWriteTheRequestIdWorkspaceIdAndKeyIdOnEveryLineOfARequestAndNeverTheKey()
    {
        using var client = new HttpClient { BaseAddress = address };
        using var invalid = new HttpRequestMessage(HttpMethod.Get, "/api/v1/leads?limit=0");
        invalid.Headers.Authorization = new("Bearer", key.Token);
        using var badRequest = await client.SendAsync(invalid);
        badRequest.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var badRequestId = badRequest.Headers.GetValues("X-Request-Id").Single();

        var unknownKey = ApiKeyToken.Generate().Text;
        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/api/v1/leads");
        unknown.Headers.Authorization = new("Bearer", unknownKey);
        using var unauthorized = await client.SendAsync(unknown);
        unauthorized.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var unauthorizedId = unauthorized.Headers.GetValues("X-Request-Id").Single();

        // The error handler's line is the last one each request writes.
        await WaitForAsync(() => lines.Any(l => l.Contains($"{unauthorizedId} answered 401", StringComparison.Ordinal)), "the 401's log line");
        await WaitForAsync(() => lines.Any(l => l.Contains($"{badRequestId} answered 400", StringComparison.Ordinal)), "the 400's log line");

        var entries = lines.Select(Parse).ToList();
        var ofBadRequest = entries.Where(e => e.Scope("request_id") == badRequestId).ToList();
        ofBadRequest.Should().NotBeEmpty();
        ofBadRequest.Should().OnlyContain(e => e.Scope("workspace_id") == workspaceId.ToString() && e.Scope("key_id") == key.Id.ToString());
        entries.Where(e => e.Line.Contains(badRequestId, StringComparison.Ordinal)).Should().OnlyContain(e => e.Scope("request_id") == badRequestId,
            "every line about the request carries its id as a scope property");

        var ofUnauthorized = entries.Where(e => e.Scope("request_id") == unauthorizedId).ToList();
        ofUnauthorized.Should().NotBeEmpty();
        ofUnauthorized.Should().OnlyContain(e => e.Scope("key_id") == null, "no key authenticated");

        var output = string.Join('\n', lines);
        output.Should().NotContain("rk_live_").And.NotContain(key.Token[8..]).And.NotContain(unknownKey[8..]);
    }

    [Test]
    public async Task ShouldLogAFailedRequestAndAFailedBackgroundRunOnOneLineEachWithoutTheStackTrace()
    {
        // A database without the API's tables: the key lookup fails (500), and so does the tombstone purge at start.
        await using var bareDatabase = await TestDatabase.CreateAsync("roofkit_log", migrated: false);
        var output = new ConcurrentQueue<string>();
        var (bare, bareAddress) = Start(bareDatabase.ConnectionString, output);
        try
        {
            using var client = new HttpClient { BaseAddress = bareAddress };
            await WaitForAsync(bare, output, () => output.Any(l => l.Contains("Application started", StringComparison.Ordinal)), "the API to start");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/leads");
            request.Headers.Authorization = new("Bearer", key.Token);
            using var response = await client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            var requestId = response.Headers.GetValues("X-Request-Id").Single();
            await WaitForAsync(bare, output, () => output.Any(l => l.Contains($"Request {requestId} failed", StringComparison.Ordinal)), "the 500's log line");
            await WaitForAsync(bare, output, () => output.Any(l => l.Contains("tombstones failed", StringComparison.Ordinal)), "the purge's log line");

            var entries = output.Select(Parse).ToList();
            var failed = entries.Single(e => e.Line.Contains($"Request {requestId} failed", StringComparison.Ordinal));
            failed.Level.Should().Be("Error");
            failed.Scope("request_id").Should().Be(requestId);
            failed.Json.GetProperty("Exception").GetString().Should().StartWith("Npgsql.PostgresException: 42P01: relation \"api_keys\" does not exist")
                .And.EndWith("(in RoofKit.Infrastructure.ApiKeys.ApiKeyStore.FindAsync)").And.NotContain("\n");
            var purge = entries.Single(e => e.Line.Contains("tombstones failed", StringComparison.Ordinal));
            purge.Json.GetProperty("Exception").GetString().Should().Contain("lead_deletions").And.NotContain("\n");
            output.Should().NotContain(l => l.Contains("   at ", StringComparison.Ordinal) || l.Contains(".cs:line", StringComparison.Ordinal),
                "no line carries a stack trace");
        }
        finally
        {
            await StopAsync(bare);
        }
    }

    [Test]
    public async Task ShouldReportAFailedMigrationOnOneLineWithoutTheStackTrace()
    {
        // The first migration creates workspaces; here it already exists, so the operator's `migrate` fails.
        await using var database = await TestDatabase.CreateAsync("roofkit_log", migrated: false);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand("CREATE TABLE workspaces (id int)", connection).ExecuteNonQueryAsync();
        }

        var output = new ConcurrentQueue<string>();
        var (migrate, _) = Start(database.ConnectionString, output, arguments: ["migrate"]);
        try
        {
            using (var patience = new CancellationTokenSource(Patience))
            {
                await migrate.WaitForExitAsync(patience.Token);
            }

            migrate.WaitForExit();   // and its output read to the end
            migrate.ExitCode.Should().Be(1, string.Join('\n', output));
            output.Should().Contain(l => l.Contains("error: Migration", StringComparison.Ordinal) && l.Contains("0001_initial_schema.sql failed", StringComparison.Ordinal));
            output.Should().Contain(l => l.Contains("42P07", StringComparison.Ordinal), "DbUp's own line names the error");
            output.Should().NotContain(l => l.Contains("   at ", StringComparison.Ordinal) || l.Contains(".cs:line", StringComparison.Ordinal),
                "no line carries a stack trace");
        }
        finally
        {
            await StopAsync(migrate);
        }
    }

    [Test]
    public async Task ShouldStillApplyTheConsolesOwnLogLevels()
    {
        // The console provider is wrapped (one-line exceptions); Logging:Console:LogLevel must still reach it. Here the
        // console takes Warning and above, except the error handler's lines; the global level stays Information.
        var output = new ConcurrentQueue<string>();
        var (quiet, quietAddress) = Start(AssemblyDatabase.Database.ConnectionString, output, new Dictionary<string, string>
        {
            ["Logging__Console__LogLevel__Default"] = "Warning",
            ["Logging__Console__LogLevel__RoofKit.Api.Errors"] = "Information",
        });
        try
        {
            using var client = new HttpClient { BaseAddress = quietAddress };
            await WaitForAsync(quiet, output, () => LiveAsync(client), "the API to answer /healthz/live");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/leads?limit=0");
            request.Headers.Authorization = new("Bearer", key.Token);
            using var response = await client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            var requestId = response.Headers.GetValues("X-Request-Id").Single();

            // Lines reach the console in order: once the 400's is there, "Application started" would be before it.
            await WaitForAsync(quiet, output, () => output.Any(l => l.Contains($"{requestId} answered 400", StringComparison.Ordinal)), "the 400's log line");
            output.Should().NotContain(l => l.Contains("Application started", StringComparison.Ordinal),
                "Logging:Console:LogLevel:Default=Warning holds back Microsoft.Hosting.Lifetime's Information lines");
        }
        finally
        {
            await StopAsync(quiet);
        }
    }

    private static async Task<bool> LiveAsync(HttpClient client)
    {
        try
        {
            using var live = await client.GetAsync("/healthz/live");
            return live.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The built API as a process on a free port, in Production, its console lines kept in <paramref name="output"/>.</summary>
    private (Process Api, Uri Address) Start(
        string connectionString, ConcurrentQueue<string> output, IDictionary<string, string>? environment = null, IReadOnlyList<string>? arguments = null)
    {
        var at = new Uri($"http://127.0.0.1:{FreePort()}");
        // The muxer that runs these tests, else the one on PATH.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ApiDll());
        foreach (var argument in arguments ?? ["--urls", at.ToString().TrimEnd('/')])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_CONTENTROOT"] = Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "src", "RoofKit.Api");
        // A fresh home: whatever would create and store keys at start (DataProtection did) finds nothing there yet.
        start.Environment["HOME"] = home;
        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["Cursor__SigningKey"] = ApiFactory.SigningKey;
        start.Environment["Metrics__Port"] = FreePort().ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(output, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, at);
    }

    /// <summary>Ends a process this fixture started, if it still runs, and lets its output be read to the end.</summary>
    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            output.Enqueue(line);
        }
    }

    private Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(api, lines, condition, what);

    private static Task WaitForAsync(Process process, ConcurrentQueue<string> output, Func<bool> condition, string what) =>
        WaitForAsync(process, output, () => Task.FromResult(condition()), what);

    private static async Task WaitForAsync(Process process, ConcurrentQueue<string> output, Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (process.HasExited || clock.Elapsed > Patience)
            {
                Assert.Fail($"Gave up waiting for {what}. The API wrote:\n{string.Join('\n', output)}");
            }

            await Task.Delay(50);
        }
    }

    private static Entry Parse(string line)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"Not a JSON log line: {line}");
            throw;
        }

        return new Entry(line, root.GetProperty("LogLevel").GetString()!, root.GetProperty("Category").GetString()!, root);
    }

    /// <summary>The built API next to the tests: referenced projects are copied with their runtime configuration.</summary>
    private static string ApiDll()
    {
        var dll = typeof(Program).Assembly.Location;
        File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")).Should().BeTrue($"{dll} must be runnable with dotnet");
        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Entry(string Line, string Level, string Category, JsonElement Json)
    {
        /// <summary>A property of the line's scopes, as the JSON console formatter writes them.</summary>
        public string? Scope(string name) =>
            Json.TryGetProperty("Scopes", out var scopes)
                ? scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out _))
                    .Select(s => s.GetProperty(name).ToString()).FirstOrDefault()
                : null;
    }
}
