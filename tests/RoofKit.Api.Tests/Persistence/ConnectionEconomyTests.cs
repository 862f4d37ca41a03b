using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Persistence;

/// <summary>
/// A page costs its statements on pooled connections, and nothing else: no connection of its own. The read pool is
/// pointed through a proxy that counts connections, so a cancel request sent after each page (a new connection
/// that PostgreSQL forks a backend for) shows up as a connection the pool never opened.
/// </summary>
public sealed class ConnectionEconomyTests : ApiTestBase
{
    private readonly CountingTcpProxy proxy;
    private readonly string applicationName = $"roofkit-economy-{Guid.NewGuid():N}";

    public ConnectionEconomyTests()
    {
        var database = ConnectionStrings.Parse(AssemblyDatabase.Database.ConnectionString);
        proxy = new CountingTcpProxy(database.Host!, database.Port);
    }

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var read = ConnectionStrings.Parse(AssemblyDatabase.Database.ConnectionString);
            read.Host = "127.0.0.1";
            read.Port = proxy.Port;
            read.ApplicationName = applicationName;
            return new Dictionary<string, string?> { ["ConnectionStrings:ReadReplica"] = read.ConnectionString };
        }
    }

    [OneTimeTearDown]
    public async Task StopProxyAsync() => await proxy.DisposeAsync();

    [Test]
    public async Task ShouldOpenNoConnectionPerPageOfListDeletionsOrExport()
    {
        var (workspace, client) = await WorkspaceAsync("leads.read", "leads.export");
        await Data.SeedAsync(workspace, 120);
        await Db.CreateCommand($"DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE workspace_id = '{workspace}' LIMIT 30)")
            .ExecuteNonQueryAsync();

        var pages = 0;
        foreach (var path in new[] { "/api/v1/leads?limit=10", "/api/v1/leads/deletions?limit=5", "/api/v1/leads/export?limit=20" })
        {
            var next = path;
            while (next is not null)
            {
                var response = await client.GetAsync(next);
                response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
                await response.Content.ReadAsByteArrayAsync();
                pages++;
                next = NextPage(path, response, await response.Content.ReadAsStringAsync());
            }
        }

        pages.Should().BeGreaterThanOrEqualTo(15, "the pages must be many for a per-page connection to show");
        await using var sessions = Db.CreateCommand("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1");
        sessions.Parameters.Add(new Npgsql.NpgsqlParameter { Value = applicationName });
        var readPool = (int)(await sessions.ExecuteScalarAsync())!;
        readPool.Should().BeGreaterThan(0);
        proxy.Accepted.Should().Be(readPool,
            "every connection through the proxy is one of the read pool's sessions, kept and reused over {0} pages", pages);
    }

    private static string? NextPage(string path, HttpResponseMessage response, string body)
    {
        var basePath = path[..path.IndexOf('?')];
        var limit = path[path.IndexOf('?')..].Replace("?", "&", StringComparison.Ordinal);
        if (basePath.EndsWith("/export", StringComparison.Ordinal))
        {
            return response.Headers.TryGetValues("X-Export-Next-Cursor", out var cursors)
                ? $"{basePath}?cursor={Uri.EscapeDataString(cursors.Single())}{limit}"
                : null;
        }

        var next = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("next_cursor");
        return next.ValueKind == System.Text.Json.JsonValueKind.String
            ? $"{basePath}?cursor={Uri.EscapeDataString(next.GetString()!)}{limit}"
            : null;
    }
}
