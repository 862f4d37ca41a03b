using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using RoofKit.Testing;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Two workspaces with the same kind of data: on every endpoint, and whatever cursor it sends (its own, the other
/// workspace's, replayed under other filters, edited or forged), a key of one never receives a row, a stage or a
/// count of the other.
/// </summary>
public sealed class IsolationTests : ApiTestBase
{
    private const string List = "/api/v1/leads";
    private const string Export = "/api/v1/leads/export";

    private Tenant a = null!;
    private Tenant b = null!;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:List:PermitLimit"] = "100000",
        ["RateLimits:Export:PermitLimit"] = "100000",
    };

    protected override async Task OneTimeSetUpAsync()
    {
        a = await TenantAsync(leads: 140, seed: 21, marker: "Aardvark");
        b = await TenantAsync(leads: 160, seed: 21, marker: "Zebulon");
    }

    public static IEnumerable<string> Endpoints() => [List, Export];

    [Test]
    public async Task ShouldListOnlyTheKeysOwnLeadsOnEveryPage()
    {
        foreach (var (tenant, other) in new[] { (a, b), (b, a) })
        {
            var ids = await PageAllAsync(List, tenant.Key, "limit=17");

            ids.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(tenant.LeadIds).And.NotIntersectWith(other.LeadIds);
        }
    }

    [Test]
    public async Task ShouldExportOnlyTheKeysOwnLeadsInEverySegmentWithItsOwnCounts()
    {
        foreach (var (tenant, other) in new[] { (a, b), (b, a) })
        {
            var ids = await PageAllAsync(Export, tenant.Key, "limit=50");

            ids.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(tenant.LeadIds).And.NotIntersectWith(other.LeadIds);
            var whole = await Client(tenant.Key).GetAsync(Export);
            whole.Headers.GetValues("X-Export-Row-Count").Single().Should().Be(tenant.LeadIds.Count.ToString());
            whole.Headers.GetValues("X-Export-Truncated").Single().Should().Be("false");
        }
    }

    [Test]
    public async Task ShouldListOnlyTheKeysOwnStatusStages()
    {
        foreach (var (tenant, other) in new[] { (a, b), (b, a) })
        {
            var response = await Client(tenant.Key).GetAsync("/api/v1/status-stages");

            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var ids = (await JsonAsync(response)).GetProperty("data").EnumerateArray().Select(s => Guid.Parse(s.GetProperty("id").GetString()!)).ToList();
            ids.Should().BeEquivalentTo(tenant.StageIds).And.NotIntersectWith(other.StageIds);
        }
    }

    [Test]
    public async Task ShouldShowOnlyTheKeysOwnStagesOnItsLeads()
    {
        foreach (var path in Endpoints())
        {
            var stages = new HashSet<Guid>();
            string? cursor = null;
            do
            {
                var (ids, next, stageIds) = await PageAsync(path, a.Key, "limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                stages.UnionWith(stageIds);
                cursor = next;
                ids.Should().NotIntersectWith(b.LeadIds);
            }
            while (cursor is not null);

            stages.Should().NotBeEmpty().And.BeSubsetOf(a.StageIds, path);
        }
    }

    [Test]
    public async Task ShouldRefuseToStoreALeadOnAnotherWorkspacesStage()
    {
        // The database itself keeps a lead's stage in its workspace (a composite foreign key), so a join can never
        // bring another workspace's stage name into a row.
        var insert = () => Data.LeadAsync(a.Id, DateTime.UtcNow.AddHours(-1), stageId: b.StageIds[0]);

        (await insert.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.ForeignKeyViolation);
    }

    [TestCaseSource(nameof(Endpoints))]
    public async Task ShouldMatchNothingOfAnotherWorkspaceWhateverTheFilters(string path)
    {
        var filters = new[]
        {
            "status_stage_id=" + b.StageIds[0],
            "search=" + b.Marker,
            "source=" + b.Marker,
            "campaign=" + b.Marker,
            "search=" + b.Marker + "&status_stage_id=" + b.StageIds[0],
        };

        foreach (var filter in filters)
        {
            var (ids, next, _) = await PageAsync(path, a.Key, filter);
            ids.Should().BeEmpty(filter);
            next.Should().BeNull(filter);

            // The same filter finds the rows in their own workspace: the filters work, the workspace is what stops them.
            var (own, _, _) = await PageAsync(path, b.Key, filter);
            own.Should().NotBeEmpty(filter).And.BeSubsetOf(b.LeadIds);
        }

        var export = await Client(a.Key).GetAsync(Export + "?search=" + b.Marker);
        export.Headers.GetValues("X-Export-Row-Count").Single().Should().Be("0");
    }

    [TestCaseSource(nameof(CursorCombinations))]
    public async Task ShouldRefuseACursorOfAnotherWorkspace(string issuedBy, string usedOn)
    {
        var cursor = await FirstCursorAsync(issuedBy, b.Key, "limit=5");

        var response = await Client(a.Key).GetAsync($"{usedOn}?cursor={Uri.EscapeDataString(cursor)}");

        var error = await ErrorAsync(response, 400, "invalid_cursor");
        error.GetProperty("param").GetString().Should().Be("cursor");
    }

    [TestCaseSource(nameof(CursorCombinations))]
    public async Task ShouldRefuseAReplayedCursorUnderOtherFilters(string issuedBy, string usedOn)
    {
        var cursor = Uri.EscapeDataString(await FirstCursorAsync(issuedBy, a.Key, "limit=5&source=google&from=2020-01-01T00:00:00Z"));

        // Its own filters, or none: the cursor goes on, with A's rows that follow the first five under its filters.
        await using (var connection = await Db.OpenConnectionAsync())
        {
            var matching = (await connection.QueryAsync<Guid>("""
                SELECT id FROM leads WHERE workspace_id = @Id AND lower(source) = 'google' AND updated_at >= '2020-01-01T00:00:00Z'
                ORDER BY updated_at, id
                """, new { a.Id })).ToList();
            var next = matching.Skip(5).Take(usedOn == List ? 50 : 10_000).ToList();
            next.Should().NotBeEmpty("the test needs rows after the first page");

            (await PageAsync(usedOn, a.Key, $"cursor={cursor}")).Ids.Should().Equal(next, "the cursor alone carries its filters");
            (await PageAsync(usedOn, a.Key, $"cursor={cursor}&source=GOOGLE&from=2020-01-01T00:00:00Z")).Ids.Should().Equal(next, "the cursor's own filters, repeated");
        }

        foreach (var changed in new[] { "source=facebook", "from=2021-01-01T00:00:00Z", "search=abc", "status_stage_id=" + a.StageIds[0], "to=2030-01-01T00:00:00Z" })
        {
            var response = await Client(a.Key).GetAsync($"{usedOn}?cursor={cursor}&{changed}");
            await ErrorAsync(response, 400, "invalid_cursor");
        }
    }

    [TestCaseSource(nameof(Endpoints))]
    public async Task ShouldRefuseForgedCursors(string path)
    {
        var own = await FirstCursorAsync(List, a.Key, "limit=5&source=google");
        var other = await FirstCursorAsync(List, b.Key, "limit=5&source=google");
        var real = new Forger(ApiFactory.SigningKey);
        var stranger = new Forger("another-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz");

        // The forger is right about the format: a cursor it signs with the API's key is taken, and pages on as the original.
        var (original, _, _) = await PageAsync(path, a.Key, "cursor=" + Uri.EscapeDataString(own));
        var (resigned, _, _) = await PageAsync(path, a.Key, "cursor=" + Uri.EscapeDataString(real.Resign(own)));
        original.Should().NotBeEmpty().And.BeSubsetOf(a.LeadIds);
        resigned.Should().Equal(original);

        var forgeries = new Dictionary<string, string>
        {
            ["B's cursor relabelled as A's, signature kept"] = real.Edit(other, p => p["Ws"] = a.Id.ToString()),
            ["B's cursor relabelled as A's, signed with another key"] = stranger.Resign(real.Edit(other, p => p["Ws"] = a.Id.ToString())),
            ["A's cursor signed with another key"] = stranger.Resign(own),
            ["A's cursor with its filter dropped, signature kept"] = real.Edit(own, p => p["F"]!["Source"] = null),
            ["A's cursor moved back to the start, signature kept"] = real.Edit(own, p => p["U"] = 0),
            ["A's cursor as version 2, signed with the API's key"] = real.Resign(own, version: 2),
            ["A's cursor without its signature"] = Base64Url.EncodeToString(Base64Url.DecodeFromChars(own)[..^32]),
            ["A's cursor cut short"] = own[..(own.Length / 2)],
        };

        foreach (var (what, forged) in forgeries)
        {
            var response = await Client(a.Key).GetAsync($"{path}?cursor={Uri.EscapeDataString(forged)}");
            ((int)response.StatusCode).Should().Be(400, what);
            (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString().Should().Be("invalid_cursor", what);
        }
    }

    [TestCaseSource(nameof(Endpoints))]
    public async Task ShouldKeepTheKeyInItsWorkspaceEvenWithCursorsSignedWithTheApisKey(string path)
    {
        // Even someone holding the signing key cannot reach across: the workspace comes from the API key, and a
        // cursor that claims another is refused; one that claims the key's own workspace only ever pages through it.
        var forger = new Forger(ApiFactory.SigningKey);
        var own = await FirstCursorAsync(List, a.Key, "limit=5");
        var asB = forger.Resign(forger.Edit(own, p => p["Ws"] = b.Id.ToString()));
        await ErrorAsync(await Client(a.Key).GetAsync($"{path}?cursor={Uri.EscapeDataString(asB)}"), 400, "invalid_cursor");

        var fromStart = forger.Resign(forger.Edit(own, p =>
        {
            p["U"] = 0;
            p["I"] = Guid.Empty.ToString();
        }));
        var (ids, _, _) = await PageAsync(path, a.Key, "limit=200&cursor=" + Uri.EscapeDataString(fromStart));
        ids.Should().NotBeEmpty().And.BeSubsetOf(a.LeadIds);
    }

    public static IEnumerable<TestCaseData> CursorCombinations() =>
        from issuedBy in Endpoints()
        from usedOn in Endpoints()
        select new TestCaseData(issuedBy, usedOn).SetArgDisplayNames(issuedBy, usedOn);

    private async Task<Tenant> TenantAsync(int leads, int seed, string marker)
    {
        var workspace = await Data.WorkspaceAsync();
        await Data.SeedAsync(workspace.Id, leads, seed);
        var stages = (await Data.StagesAsync(workspace.Id)).Select(s => s.Id).ToList();
        for (var i = 0; i < 3; i++)
        {
            await Data.LeadAsync(workspace.Id, DateTime.UtcNow.AddDays(-i - 1), lastName: marker, source: marker, campaign: marker, stageId: stages[0]);
        }

        await using var connection = await Db.OpenConnectionAsync();
        var ids = (await connection.QueryAsync<Guid>("SELECT id FROM leads WHERE workspace_id = @Id", new { workspace.Id })).ToList();
        return new Tenant(workspace.Id, (await Data.KeyAsync(workspace.Id)).Token, ids, stages, marker);
    }

    /// <summary>Every id the endpoint serves the key, following cursors to the end.</summary>
    private async Task<List<Guid>> PageAllAsync(string path, string token, string query)
    {
        var all = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (ids, next, _) = await PageAsync(path, token, query + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            all.AddRange(ids);
            cursor = next;
            (++pages).Should().BeLessThan(100, "paging must end");
        }
        while (cursor is not null);

        pages.Should().BeGreaterThan(1, "the test must cross pages");
        return all;
    }

    /// <summary>One page of either endpoint: its lead ids, the next cursor and the stage ids on its rows.</summary>
    private async Task<(List<Guid> Ids, string? Next, List<Guid> Stages)> PageAsync(string path, string token, string query)
    {
        var response = await Client(token).GetAsync($"{path}?{query}");
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"{path}?{query}: {await response.Content.ReadAsStringAsync()}");
        if (path == Export)
        {
            var rows = Csv.Parse(await response.Content.ReadAsByteArrayAsync()).Skip(1).ToList();
            var next = response.Headers.TryGetValues("X-Export-Next-Cursor", out var values) ? values.Single() : null;
            return (rows.Select(r => Guid.Parse(r[0])).ToList(), next,
                rows.Where(r => r[12].Length > 0).Select(r => Guid.Parse(r[12])).ToList());
        }

        var json = await JsonAsync(response);
        var data = json.GetProperty("data").EnumerateArray().ToList();
        return (data.Select(l => Guid.Parse(l.GetProperty("id").GetString()!)).ToList(), json.GetProperty("next_cursor").GetString(),
            data.Where(l => l.GetProperty("status_stage_id").GetString() is not null)
                .Select(l => Guid.Parse(l.GetProperty("status_stage_id").GetString()!)).ToList());
    }

    private async Task<string> FirstCursorAsync(string path, string token, string query)
    {
        var response = await Client(token).GetAsync($"{path}?{query}");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return path == Export
            ? response.Headers.GetValues("X-Export-Next-Cursor").Single()
            : (await JsonAsync(response)).GetProperty("next_cursor").GetString()!;
    }

    private sealed record Tenant(Guid Id, string Key, List<Guid> LeadIds, List<Guid> StageIds, string Marker);

    /// <summary>
    /// Takes cursors apart and puts them back together the way LeadCursorProtector builds them
    /// (<c>base64url(version || json || HMAC-SHA256)</c>), with a signing key of the test's choosing.
    /// </summary>
    private sealed class Forger(string signingKey)
    {
        private const int MacLength = 32;

        /// <summary>Changes the payload and keeps the old signature.</summary>
        public string Edit(string cursor, Action<JsonObject> change)
        {
            var bytes = Base64Url.DecodeFromChars(cursor);
            var payload = JsonNode.Parse(bytes.AsSpan(1, bytes.Length - 1 - MacLength))!.AsObject();
            change(payload);
            return Base64Url.EncodeToString([bytes[0], .. Encoding.UTF8.GetBytes(payload.ToJsonString()), .. bytes[^MacLength..]]);
        }

        /// <summary>Signs the cursor's version and payload again with this forger's key.</summary>
        public string Resign(string cursor, byte? version = null)
        {
            var bytes = Base64Url.DecodeFromChars(cursor);
            byte[] signed = [version ?? bytes[0], .. bytes[1..^MacLength]];
            return Base64Url.EncodeToString([.. signed, .. HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), signed)]);
        }
    }
}
