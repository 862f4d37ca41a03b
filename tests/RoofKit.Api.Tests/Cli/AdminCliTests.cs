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

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AdminCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
