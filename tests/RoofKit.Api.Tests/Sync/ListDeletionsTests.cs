using System.Text.Json;
using Dapper;
using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Sync;
using RoofKit.Testing;
using Microsoft.Extensions.DependencyInjection;
using static RoofKit.Api.Tests.Leads.ListLeadsApi;

namespace RoofKit.Api.Tests.Sync;

/// <summary>The deletions feed of CONTRACT.md §6a, on a clock the tests move (the database's clock is real).</summary>
public sealed class ListDeletionsTests : ApiTestBase
{
    private const string Path = "/api/v1/leads/deletions";

    // Later than the database's clock, so the window is the database's; retention is counted on this clock.
    private readonly TestClock clock = new(DateTimeOffset.UtcNow.AddHours(1));

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:List:PermitLimit"] = "100000",
    };

    protected override TimeProvider? Clock => clock;

    [Test]
    public async Task ShouldRecordEveryDeletedLeadAndPageThroughThem()
    {
        var (workspace, client) = await WorkspaceAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await Data.LeadAsync(workspace, DateTime.UtcNow.AddDays(-1)));
        }

        // Deleted the way the CRM or an operator would: by SQL, in three statements; no application code involved.
        await ExecuteAsync("DELETE FROM leads WHERE id = ANY(@Ids)", new { Ids = ids.Take(3).ToArray() });
        await ExecuteAsync("DELETE FROM leads WHERE id = @Id", new { Id = ids[3] });
        await ExecuteAsync("DELETE FROM leads WHERE id = ANY(@Ids)", new { Ids = ids.Skip(4).ToArray() });
        var kept = await ExpectedAsync(workspace);

        var pages = await ReadAllAsync(client, "limit=2");

        pages.Should().HaveCount(4);
        pages.SelectMany(p => p.Ids).Should().Equal(kept.Select(k => k.Id));
        pages.SelectMany(p => p.Data).Select(d => d.GetProperty("deleted_at").GetString())
            .Should().Equal(kept.Select(k => k.DeletedAt.ToString(WatermarkFormat, System.Globalization.CultureInfo.InvariantCulture)));
        kept.Select(k => k.Id).Should().BeEquivalentTo(ids);
        pages.Select(p => p.Watermark).Distinct().Should().ContainSingle();
    }

    [Test]
    public async Task ShouldLeaveOutDeletionsOfADeleteThatHasNotCommittedAndFindThemNextRun()
    {
        var (workspace, client) = await WorkspaceAsync();
        var id = await Data.LeadAsync(workspace, DateTime.UtcNow.AddDays(-1));
        await using var deleter = await Db.OpenConnectionAsync();
        await using var transaction = await deleter.BeginTransactionAsync();
        await deleter.ExecuteAsync("DELETE FROM leads WHERE id = @id", new { id }, transaction);

        var run1 = await ReadAllAsync(client, "");
        await transaction.CommitAsync();
        var run2 = await ReadAllAsync(client, $"from={run1[0].Watermark}");

        run1.SelectMany(p => p.Ids).Should().BeEmpty();
        run2.SelectMany(p => p.Ids).Should().Equal(id);
    }

    [Test]
    public async Task ShouldForgetTheTombstoneOfALeadReCreatedWithItsId()
    {
        var (workspace, client) = await WorkspaceAsync();
        var id = await Data.LeadAsync(workspace, DateTime.UtcNow.AddDays(-1));
        await ExecuteAsync("DELETE FROM leads WHERE id = @id", new { id });
        (await ReadAllAsync(client, "")).SelectMany(p => p.Ids).Should().Equal(id);

        await ExecuteAsync("INSERT INTO leads (id, workspace_id, first_name) VALUES (@id, @workspace, 'Back')", new { id, workspace });

        (await ReadAllAsync(client, "")).SelectMany(p => p.Ids).Should().BeEmpty();
        (await PageAsync(client, "/api/v1/leads")).Ids.Should().Equal(id);
    }

    [Test]
    public async Task ShouldAnswer410ForAFromOlderThanTheRetention()
    {
        var (_, client) = await WorkspaceAsync();
        var now = clock.GetUtcNow().UtcDateTime;

        using var expired = await client.GetAsync($"{Path}?from={Rfc3339(now.AddDays(-30).AddMinutes(-1))}");
        var error = await ErrorAsync(expired, 410, "sync_expired");
        error.GetProperty("message").GetString().Should().StartWith("Deletions before ").And.EndWith("are no longer kept; sync in full.");
        error.GetProperty("param").GetString().Should().Be("from");
        expired.Headers.Contains("X-RateLimit-Remaining").Should().BeTrue();

        using var kept = await client.GetAsync($"{Path}?from={Rfc3339(now.AddDays(-30).AddMinutes(1))}");
        ((int)kept.StatusCode).Should().Be(200);
    }

    [Test]
    public async Task ShouldPurgeTombstonesOlderThanTheRetention()
    {
        var (workspace, client) = await WorkspaceAsync();
        var now = clock.GetUtcNow().UtcDateTime;
        var old = Guid.NewGuid();
        var recent = Guid.NewGuid();
        await ExecuteAsync("""
            INSERT INTO lead_deletions (workspace_id, id, deleted_at)
            VALUES (@workspace, @old, @oldAt), (@workspace, @recent, @recentAt)
            """, new { workspace, old, oldAt = now.AddDays(-31), recent, recentAt = now.AddDays(-29) });

        var purged = await Factory.Services.GetRequiredService<DeletionRetentionPurge>().PurgeAsync(CancellationToken.None);

        purged.Should().Be(1);
        (await ReadAllAsync(client, "")).SelectMany(p => p.Ids).Should().Equal(recent);
    }

    [Test]
    public async Task ShouldRefuseTamperedAndLeadCursors()
    {
        var (workspace, client) = await WorkspaceAsync();
        for (var i = 0; i < 3; i++)
        {
            var id = await Data.LeadAsync(workspace, DateTime.UtcNow.AddDays(-1));
            await ExecuteAsync("DELETE FROM leads WHERE id = @id", new { id });
        }

        var first = await PageAsync(client, $"{Path}?limit=1");
        var cursor = first.NextCursor!;
        var tampered = cursor[..^3] + (cursor[^3] == 'A' ? 'B' : 'A') + cursor[^2..];
        await ErrorAsync(await client.GetAsync($"{Path}?cursor={tampered}"), 400, "invalid_cursor");

        var leadCursor = (await PageAsync(client, "/api/v1/leads?limit=1")).NextCursor!;
        await ErrorAsync(await client.GetAsync($"{Path}?cursor={leadCursor}"), 400, "invalid_cursor");
        await ErrorAsync(await client.GetAsync($"/api/v1/leads?cursor={cursor}"), 400, "invalid_cursor");
    }

    [TestCase("source=google", "unknown_parameter", "source")]
    [TestCase("search=smith", "unknown_parameter", "search")]
    [TestCase("page=2", "unknown_parameter", "page")]
    [TestCase("limit=1001", "invalid_request", "limit")]
    [TestCase("limit=0", "invalid_request", "limit")]
    [TestCase("limit=1&limit=2", "invalid_request", "limit")]
    [TestCase("from=2026-11-01T00:00:00", "invalid_request", "from")]
    [TestCase("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "invalid_request", "from")]
    public async Task ShouldAnswer400ForBadParameters(string query, string code, string param)
    {
        var (_, client) = await WorkspaceAsync();

        var error = await ErrorAsync(await client.GetAsync($"{Path}?{query}"), 400, code);

        error.GetProperty("param").GetString().Should().Be(param);
    }

    [Test]
    public async Task ShouldShowAWorkspaceOnlyItsOwnDeletions()
    {
        var (mine, client) = await WorkspaceAsync();
        var (theirs, theirClient) = await WorkspaceAsync();
        var myLeads = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            myLeads.Add(await Data.LeadAsync(mine, DateTime.UtcNow.AddDays(-1)));
        }

        var theirLead = await Data.LeadAsync(theirs, DateTime.UtcNow.AddDays(-1));
        await ExecuteAsync("DELETE FROM leads WHERE id = ANY(@Ids)", new { Ids = myLeads.Append(theirLead).ToArray() });

        (await ReadAllAsync(client, "limit=1")).SelectMany(p => p.Ids).Should().BeEquivalentTo(myLeads);
        (await ReadAllAsync(theirClient, "")).SelectMany(p => p.Ids).Should().Equal(theirLead);
        var myCursor = (await PageAsync(client, $"{Path}?limit=1")).NextCursor!;
        await ErrorAsync(await theirClient.GetAsync($"{Path}?cursor={myCursor}"), 400, "invalid_cursor");
    }

    [Test]
    public async Task ShouldRequireTheLeadsReadScope()
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var (_, token) = await Data.KeyAsync(workspace, "leads.export");

        await ErrorAsync(await Client(token).GetAsync(Path), 403, "insufficient_scope");
    }

    private async Task<IReadOnlyList<DeletionsPage>> ReadAllAsync(HttpClient client, string query)
    {
        var pages = new List<DeletionsPage> { await PageAsync(client, query.Length == 0 ? Path : $"{Path}?{query}") };
        while (pages[^1].HasMore)
        {
            var limit = query.Contains("limit=", StringComparison.Ordinal) ? "&" + query.Split('&').First(p => p.StartsWith("limit=", StringComparison.Ordinal)) : "";
            pages.Add(await PageAsync(client, $"{Path}?cursor={pages[^1].NextCursor}{limit}"));
        }

        return pages;
    }

    private static async Task<DeletionsPage> PageAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(200, body);
        var root = JsonDocument.Parse(body).RootElement;
        var data = root.GetProperty("data").EnumerateArray().ToList();
        if (url.StartsWith(Path, StringComparison.Ordinal))
        {
            root.EnumerateObject().Select(p => p.Name).Should().Equal("data", "has_more", "next_cursor");
            data.Where(d => !d.EnumerateObject().Select(p => p.Name).SequenceEqual(new[] { "id", "deleted_at" }))
                .Should().BeEmpty("a deletion has exactly id and deleted_at");
        }

        var hasMore = root.GetProperty("has_more").GetBoolean();
        return new DeletionsPage(data, hasMore, hasMore ? root.GetProperty("next_cursor").GetString() : null,
            response.Headers.GetValues("X-Sync-Watermark").Single());
    }

    private async Task<IReadOnlyList<(Guid Id, DateTime DeletedAt)>> ExpectedAsync(Guid workspace)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<(Guid, DateTime)>(
            "SELECT id, deleted_at FROM lead_deletions WHERE workspace_id = @workspace ORDER BY deleted_at, id", new { workspace })).AsList();
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    private sealed record DeletionsPage(IReadOnlyList<JsonElement> Data, bool HasMore, string? NextCursor, string Watermark)
    {
        public IEnumerable<Guid> Ids => Data.Select(d => d.GetProperty("id").GetGuid());
    }
}
