using System.Net;
using System.Text.Json;
using Dapper;
using RoofKit.Api.Cli;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Api.Tests.Cli;

public sealed class AdminCliTests : ApiTestBase
{
    protected override Task OneTimeSetUpAsync()
    {
        Environment.SetEnvironmentVariable("ConnectionStrings__Default", AssemblyDatabase.Database.ConnectionString);
        return Task.CompletedTask;
    }

    [Test]
    public async Task ShouldCreateAWorkspaceAndAKeyThatIsPrintedOnceOnTheLastLineAndStoredAsAHash()
    {
        (await RunAsync("workspaces", "create", "--slug", "acme-roofing", "--name", "Acme Roofing")).Code.Should().Be(0);

        var (code, output, _) = await RunAsync("keys", "create", "--workspace", "acme-roofing", "--name", "agency", "--scopes", "leads.read,leads.export");

        code.Should().Be(0);
        var lines = output.TrimEnd().Split('\n');
        var token = lines[^1].Trim();
        ApiKeyToken.TryParse(token, out var parsed).Should().BeTrue();
        output.Split(token).Length.Should().Be(2, "the key is printed exactly once");

        await using var connection = await Db.OpenConnectionAsync();
        var stored = await connection.QuerySingleAsync<string>(
            "SELECT row_to_json(k)::text FROM api_keys k WHERE public_id = @p", new { p = parsed!.PublicId });
        stored.Should().NotContain(parsed.Secret);

        var response = await Client(token).GetAsync("/api/v1/status-stages");
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);

        var (_, list, _) = await RunAsync("keys", "list", "--workspace", "acme-roofing");
        list.Should().Contain(parsed.PublicId).And.NotContain(parsed.Secret).And.Contain("active");
    }

    [Test]
    public async Task ShouldRevokeAndDeleteKeys()
    {
        await RunAsync("workspaces", "create", "--slug", "revoke-co", "--name", "Revoke Co");
        var first = (await RunAsync("keys", "create", "--workspace", "revoke-co", "--name", "a", "--scopes", "leads.read")).Output.TrimEnd().Split('\n')[^1].Trim();
        var second = (await RunAsync("keys", "create", "--workspace", "revoke-co", "--name", "b", "--scopes", "leads.read")).Output.TrimEnd().Split('\n')[^1].Trim();
        ApiKeyToken.TryParse(first, out var a).Should().BeTrue();
        ApiKeyToken.TryParse(second, out var b).Should().BeTrue();

        (await RunAsync("keys", "revoke", a!.PublicId)).Code.Should().Be(0);
        (await RunAsync("keys", "delete", b!.PublicId)).Code.Should().Be(0);
        (await RunAsync("keys", "revoke", a.PublicId)).Code.Should().Be(2, "a revoked key cannot be revoked again");

        await using var connection = await Db.OpenConnectionAsync();
        (await connection.QuerySingleAsync<bool>("SELECT revoked_at IS NOT NULL FROM api_keys WHERE public_id = @p", new { p = a.PublicId })).Should().BeTrue();
        (await connection.QuerySingleAsync<bool>("SELECT deleted_at IS NOT NULL FROM api_keys WHERE public_id = @p", new { p = b.PublicId })).Should().BeTrue();
        (await Client(first).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        (await Client(second).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task ShouldSuspendActivateAndCloseWorkspaces()
    {
        await RunAsync("workspaces", "create", "--slug", "status-co", "--name", "Status Co");
        (await RunAsync("workspaces", "suspend", "status-co")).Code.Should().Be(0);
        (await RunAsync("workspaces", "list")).Output.Should().MatchRegex(@"status-co\s+suspended");
        (await RunAsync("workspaces", "activate", "status-co")).Code.Should().Be(0);
        (await RunAsync("workspaces", "list")).Output.Should().MatchRegex(@"status-co\s+active");
        (await RunAsync("workspaces", "close", "status-co")).Code.Should().Be(0);
        (await RunAsync("workspaces", "list")).Output.Should().MatchRegex(@"status-co\s+closed");
    }

    [TestCase("workspaces", "create", "--slug", "only-slug")]
    [TestCase("workspaces", "suspend")]
    [TestCase("workspaces", "frobnicate")]
    [TestCase("keys", "create", "--workspace", "no-such-workspace", "--name", "x", "--scopes", "leads.read")]
    [TestCase("keys", "create", "--workspace", "x", "--name", "x", "--scopes", "leads.write")]
    [TestCase("seed", "--workspace", "x", "--leads", "many")]
    [TestCase("keys", "revoke")]
    public async Task ShouldExitWith2AndSayWhyOnBadArguments(params string[] args)
    {
        var (code, _, error) = await RunAsync(args);

        code.Should().Be(2);
        error.Should().StartWith("error: ");
    }

    [Test]
    public async Task ShouldSeedRealisticLeads()
    {
        await RunAsync("workspaces", "create", "--slug", "seeded", "--name", "Seeded");
        var (code, output, _) = await RunAsync("seed", "--workspace", "seeded", "--leads", "5000", "--seed", "42");
        code.Should().Be(0);
        output.Should().Contain("5,000");

        await using var connection = await Db.OpenConnectionAsync();
        var stats = await connection.QuerySingleAsync("""
            SELECT count(*) AS total,
                   count(DISTINCT last_name) AS surnames,
                   count(DISTINCT source) AS sources,
                   count(DISTINCT status_stage_id) AS stages,
                   extract(epoch FROM max(l.updated_at) - min(l.updated_at)) / 86400 AS days,
                   count(*) FILTER (WHERE phone IS NOT NULL AND phone !~ '^\+1[2-9][0-9]{9}$') AS not_e164,
                   count(phone) AS phones,
                   count(*) FILTER (WHERE email ~ '^[^@]+@[^@]+\.[a-z]+$') AS emails,
                   count(*) FILTER (WHERE notes ~ '^[=+@-]' OR first_name ~ '^[=+@-]' OR last_name ~ '^[=+@-]') AS formulas,
                   count(*) FILTER (WHERE l.updated_at < l.created_at) AS backwards
            FROM leads l JOIN workspaces w ON w.id = l.workspace_id WHERE w.slug = 'seeded'
            """);
        ((long)stats.total).Should().Be(5000);
        ((long)stats.surnames).Should().BeGreaterThan(100);
        ((long)stats.sources).Should().BeGreaterThan(5);
        ((long)stats.stages).Should().Be(6);
        ((double)stats.days).Should().BeGreaterThan(600);
        ((long)stats.not_e164).Should().Be(0);
        ((long)stats.phones).Should().BeGreaterThan(4500);
        ((long)stats.emails).Should().BeGreaterThan(4500);
        ((long)stats.formulas).Should().BeGreaterThan(0);
        ((long)stats.backwards).Should().Be(0);
    }

    [Test]
    public async Task ShouldPrintWorkspacesAsJsonWithJson()
    {
        var (code, output, _) = await RunAsync("workspaces", "create", "--slug", "json-co", "--name", "JSON Roofing", "--json");

        code.Should().Be(0);
        var created = JsonDocument.Parse(output).RootElement;
        Guid.TryParse(created.GetProperty("id").GetString(), out var id).Should().BeTrue();
        created.GetProperty("slug").GetString().Should().Be("json-co");
        created.GetProperty("name").GetString().Should().Be("JSON Roofing");
        created.GetProperty("status").GetString().Should().Be("active");

        (await RunAsync("seed", "--workspace", "json-co", "--leads", "7", "--seed", "1")).Code.Should().Be(0);
        (await RunAsync("workspaces", "suspend", "json-co", "--json")).Output.Should().Be("""{"slug":"json-co","status":"suspended"}""" + Environment.NewLine);
        var list = JsonDocument.Parse((await RunAsync("workspaces", "list", "--json")).Output).RootElement;

        var listed = list.EnumerateArray().Single(w => w.GetProperty("slug").GetString() == "json-co");
        listed.GetProperty("id").GetGuid().Should().Be(id);
        listed.GetProperty("status").GetString().Should().Be("suspended");
        listed.GetProperty("leads").GetInt64().Should().Be(7);
    }

    [Test]
    public async Task ShouldPrintANewKeyOnceInTheKeyFieldOfOneJsonDocumentWithJson()
    {
        await RunAsync("workspaces", "create", "--slug", "json-keys", "--name", "JSON Keys");

        // --json may stand anywhere among the options.
        var (code, output, _) = await RunAsync("keys", "create", "--workspace", "json-keys", "--json", "--name", "bi sync", "--scopes", "leads.read");

        code.Should().Be(0);
        var created = JsonDocument.Parse(output).RootElement;
        var token = created.GetProperty("key").GetString()!;
        ApiKeyToken.TryParse(token, out var parsed).Should().BeTrue();
        output.Split(token).Length.Should().Be(2, "the key is printed exactly once");
        created.GetProperty("public_id").GetString().Should().Be(parsed!.PublicId);
        created.GetProperty("workspace").GetString().Should().Be("json-keys");
        created.GetProperty("name").GetString().Should().Be("bi sync");
        created.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).Should().Equal("leads.read");
        created.GetProperty("state").GetString().Should().Be("active");
        (await Client(token).GetAsync("/api/v1/status-stages")).StatusCode.Should().Be(HttpStatusCode.OK);

        var listOutput = (await RunAsync("keys", "list", "--workspace", "json-keys", "--json")).Output;
        listOutput.Should().NotContain(parsed.Secret);
        var listed = JsonDocument.Parse(listOutput).RootElement.EnumerateArray().Single();
        listed.GetProperty("id").GetGuid().Should().Be(created.GetProperty("id").GetGuid());
        listed.GetProperty("state").GetString().Should().Be("active");
        listed.TryGetProperty("key", out _).Should().BeFalse("a listing never shows a key");

        var revoked = JsonDocument.Parse((await RunAsync("keys", "revoke", parsed.PublicId, "--json")).Output).RootElement;
        revoked.GetProperty("id").GetGuid().Should().Be(created.GetProperty("id").GetGuid());
        revoked.GetProperty("state").GetString().Should().Be("revoked");
        JsonDocument.Parse((await RunAsync("keys", "list", "--workspace", "json-keys", "--json")).Output).RootElement
            .EnumerateArray().Single().GetProperty("state").GetString().Should().Be("revoked");
    }

    [Test]
    public async Task ShouldKeepProgressOffStdoutWhenSeedingWithJson()
    {
        await RunAsync("workspaces", "create", "--slug", "json-seed", "--name", "JSON Seed");

        var (code, output, _) = await RunAsync("seed", "--workspace", "json-seed", "--leads", "300", "--seed", "3", "--json");

        code.Should().Be(0);
        output.Should().Be("""{"workspace":"json-seed","leads":300}""" + Environment.NewLine, "progress goes to stderr");
    }

    [Test]
    public async Task ShouldWriteAnEnvFileAndAPostmanEnvironmentWithAWorkingKeyForEveryCaseAndKeepThemOnTheNextRun()
    {
        var dir = Directory.CreateTempSubdirectory("roofkit-demo-");
        try
        {
            var envFile = Path.Combine(dir.FullName, "env");
            var postmanFile = Path.Combine(dir.FullName, "postman_environment.json");
            string[] Demo(string baseUrl) =>
                ["demo", "--env-file", envFile, "--postman-env", postmanFile, "--base-url", baseUrl, "--database-url", "postgresql://demo"];

            (await RunAsync(Demo("http://127.0.0.1:5080"))).Code.Should().Be(0);

            if (!OperatingSystem.IsWindows())
            {
                // Both hold keys.
                File.GetUnixFileMode(postmanFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.GetUnixFileMode(envFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var values = PostmanValues(postmanFile);
            values.Keys.Should().BeEquivalentTo(
                "baseUrl", "apiKey", "readOnlyKey", "exportOnlyKey", "revokedKey", "inactiveKey", "burstKey", "brokenBaseUrl", "faultyBaseUrl");
            values["baseUrl"].Should().Be("http://127.0.0.1:5080");
            values["brokenBaseUrl"].Should().BeEmpty("make run has no instance without its database");
            values["faultyBaseUrl"].Should().BeEmpty();
            string[] keys = [values["apiKey"], values["readOnlyKey"], values["exportOnlyKey"], values["revokedKey"], values["inactiveKey"], values["burstKey"]];
            keys.Should().OnlyHaveUniqueItems().And.AllSatisfy(k => ApiKeyToken.TryParse(k, out _).Should().BeTrue());
            var env = File.ReadAllText(envFile);
            env.Should().Contain($"export ROOFKIT_DEMO_KEY={values["apiKey"]}\n").And.Contain($"export ROOFKIT_DEMO_BURST_KEY={values["burstKey"]}\n");

            await ShouldAnswer(values["apiKey"], list: HttpStatusCode.OK, export: HttpStatusCode.OK);
            await ShouldAnswer(values["burstKey"], list: HttpStatusCode.OK, export: HttpStatusCode.OK);
            await ShouldAnswer(values["readOnlyKey"], list: HttpStatusCode.OK, export: HttpStatusCode.Forbidden);
            await ShouldAnswer(values["exportOnlyKey"], list: HttpStatusCode.Forbidden, export: HttpStatusCode.OK);
            await ShouldAnswer(values["revokedKey"], list: HttpStatusCode.Unauthorized, export: HttpStatusCode.Unauthorized);
            await ErrorAsync(await Client(values["inactiveKey"]).GetAsync("/api/v1/leads?limit=1"), 403, "workspace_inactive");
            var page = await JsonAsync(await Client(values["apiKey"]).GetAsync("/api/v1/leads?limit=200"));
            page.GetProperty("data").GetArrayLength().Should().Be(200);
            page.GetProperty("has_more").GetBoolean().Should().BeTrue("the demo holds 25,000 leads");

            await using var connection = await Db.OpenConnectionAsync();
            var keyCount = await connection.QuerySingleAsync<long>("SELECT count(*) FROM api_keys");

            // Again, on another port: the same keys, the new address.
            (await RunAsync(Demo("http://127.0.0.1:6080"))).Code.Should().Be(0);
            (await connection.QuerySingleAsync<long>("SELECT count(*) FROM api_keys")).Should().Be(keyCount);
            var again = PostmanValues(postmanFile);
            again["baseUrl"].Should().Be("http://127.0.0.1:6080");
            again.Where(v => v.Key != "baseUrl").Should().BeEquivalentTo(values.Where(v => v.Key != "baseUrl"));
            File.ReadAllText(envFile).Should().Contain("export ROOFKIT_BASE_URL=http://127.0.0.1:6080\n");

            // An env file of an older make run, without the export-only and burst keys: those two are added.
            File.WriteAllLines(envFile, File.ReadAllLines(envFile).Where(l => !l.Contains("EXPORT_KEY") && !l.Contains("BURST_KEY")));
            (await RunAsync(Demo("http://127.0.0.1:6080"))).Code.Should().Be(0);
            (await connection.QuerySingleAsync<long>("SELECT count(*) FROM api_keys")).Should().Be(keyCount + 2);
            var upgraded = PostmanValues(postmanFile);
            upgraded["apiKey"].Should().Be(values["apiKey"]);
            upgraded["exportOnlyKey"].Should().NotBe(values["exportOnlyKey"]);
            await ShouldAnswer(upgraded["exportOnlyKey"], list: HttpStatusCode.Forbidden, export: HttpStatusCode.OK);
            await ShouldAnswer(upgraded["burstKey"], list: HttpStatusCode.OK, export: HttpStatusCode.OK);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> PostmanValues(string path)
    {
        var environment = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        environment.GetProperty("_postman_variable_scope").GetString().Should().Be("environment");
        environment.GetProperty("name").GetString().Should().NotBeNullOrEmpty();
        return environment.GetProperty("values").EnumerateArray().ToDictionary(
            v => v.GetProperty("key").GetString()!, v => v.GetProperty("value").GetString()!);
    }

    private async Task ShouldAnswer(string key, HttpStatusCode list, HttpStatusCode export)
    {
        (await Client(key).GetAsync("/api/v1/leads?limit=1")).StatusCode.Should().Be(list);
        (await Client(key).GetAsync("/api/v1/leads/export?limit=1")).StatusCode.Should().Be(export);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AdminCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
