using System.Globalization;
using System.Text.Json;
using Dapper;
using RoofKit.Api.Tests.Support;
using static RoofKit.Api.Tests.Leads.ListLeadsApi;
using static RoofKit.Api.Tests.Leads.LeadTruth;

namespace RoofKit.Api.Tests.Leads;

/// <summary>
/// GET /api/v1/leads on a seeded workspace of 5,000 realistic leads (CONTRACT.md §6 and §8): every filter and
/// combinations against a SQL ground truth, keyset paging to the end, cursors, validation and workspace isolation.
/// </summary>
public sealed class ListLeadsTests : ApiTestBase
{
    private const int SeededLeads = 5000;
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly string[] LeadFields =
    [
        "id", "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code", "source", "medium",
        "campaign", "status_stage_id", "status_stage_name", "notes", "created_at", "updated_at",
    ];

    private Guid workspace;
    private string token = "";
    private Guid otherWorkspace;
    private string otherToken = "";
    private FilterContext context = null!;

    // The list bucket allows 600 requests a minute; these tests page through thousands of rows with one key.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:List:PermitLimit"] = "1000000",
    };

    protected override async Task OneTimeSetUpAsync()
    {
        workspace = (await Data.WorkspaceAsync()).Id;
        (_, token) = await Data.KeyAsync(workspace, "leads.read");
        (await Data.SeedAsync(workspace, SeededLeads)).Should().Be(SeededLeads);

        // Hand-written leads whose UTM values differ from the seeded ones only in case.
        var stages = await Data.StagesAsync(workspace);
        var lastWeek = DateTime.UtcNow.AddDays(-7);
        await Data.LeadAsync(workspace, lastWeek, source: "GOOGLE", medium: "CPC", campaign: "Hail_Storm_Response", stageId: stages[1].Id);
        await Data.LeadAsync(workspace, lastWeek.AddSeconds(1), source: "FaceBook", medium: "Paid_Social", campaign: "FREE_ESTIMATE");
        await Data.LeadAsync(workspace, lastWeek.AddSeconds(2), firstName: "Ana", lastName: "Muñoz", email: null, phone: null,
            street: null, city: null, postalCode: null, source: null, medium: null, campaign: null, notes: null);

        otherWorkspace = (await Data.WorkspaceAsync()).Id;
        (_, otherToken) = await Data.KeyAsync(otherWorkspace, "leads.read");
        await Data.SeedAsync(otherWorkspace, 400, seed: 2);

        await using var connection = await Db.OpenConnectionAsync();
        var tie = await connection.QuerySingleAsync<DateTime>("""
            SELECT updated_at FROM leads WHERE workspace_id = @workspace
            GROUP BY updated_at HAVING count(*) >= 3 ORDER BY count(*) DESC, updated_at LIMIT 1
            """, new { workspace });
        context = new FilterContext(
            DateTime.UtcNow,
            [.. stages.Select(s => s.Id)],
            (await Data.StagesAsync(otherWorkspace))[0].Id,
            tie);
    }

    [Test]
    public async Task ShouldReturnAPageOfLeadsWithTheContractsFieldsInSnakeCase()
    {
        var page = await PageAsync(Client(token), "");

        page.Data.Should().HaveCount(50, "the default limit is 50");
        page.HasMore.Should().BeTrue();
        foreach (var lead in page.Data)
        {
            lead.EnumerateObject().Select(p => p.Name).Should().Equal(LeadFields);
        }

        await using var connection = await Db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<RoofKit.Application.Leads.Common.Lead>(DbLead.Sql + " WHERE l.id = ANY(@ids)", new { ids = page.Ids.ToArray() }))
            .ToDictionary(r => r.Id);
        rows.Should().HaveCount(50);
        foreach (var lead in page.Data)
        {
            var row = rows[lead.GetProperty("id").GetGuid()];
            Text(lead, "first_name").Should().Be(row.FirstName);
            Text(lead, "last_name").Should().Be(row.LastName);
            Text(lead, "email").Should().Be(row.Email);
            Text(lead, "phone").Should().Be(row.Phone);
            Text(lead, "street").Should().Be(row.Street);
            Text(lead, "city").Should().Be(row.City);
            Text(lead, "region").Should().Be(row.Region);
            Text(lead, "postal_code").Should().Be(row.PostalCode);
            Text(lead, "source").Should().Be(row.Source);
            Text(lead, "medium").Should().Be(row.Medium);
            Text(lead, "campaign").Should().Be(row.Campaign);
            Text(lead, "status_stage_id").Should().Be(row.StatusStageId?.ToString("D"));
            Text(lead, "status_stage_name").Should().Be(row.StatusStageName).And.NotBeNull();
            Text(lead, "notes").Should().Be(row.Notes);
            Text(lead, "created_at").Should().Be(row.CreatedAt.ToString(TimestampFormat, CultureInfo.InvariantCulture));
            Text(lead, "updated_at").Should().Be(row.UpdatedAt.ToString(TimestampFormat, CultureInfo.InvariantCulture));
        }
    }

    // CONTRACT.md §6: PostgreSQL's lower() on both sides. .NET's invariant lower case leaves the Turkish dotted capital I
    // as it is, where the database's lower() (which search_text was built with) makes it an i.
    [TestCase("İstanbul")]
    [TestCase("İSTANBUL")]
    [TestCase("Kadıköy, İst")]
    public async Task ShouldFindASearchTermWithTheDatabasesCaseFolding(string search)
    {
        var own = (await Data.WorkspaceAsync()).Id;
        var (_, key) = await Data.KeyAsync(own, "leads.read");
        var yesterday = DateTime.UtcNow.AddDays(-1);
        var istanbul = await Data.LeadAsync(own, yesterday, street: "Kadıköy, İstiklal Cd. 5", city: "İstanbul");
        await Data.LeadAsync(own, yesterday.AddSeconds(1), city: "Austin");

        var page = await PageAsync(Client(key), "search=" + Uri.EscapeDataString(search));

        page.Data.Select(l => l.GetProperty("id").GetGuid()).Should().Equal(istanbul);
    }

    [Test]
    public async Task ShouldWriteMissingValuesAsNulls()
    {
        var page = await PageAsync(Client(token), "search=" + Uri.EscapeDataString("ana muñoz"));

        var lead = page.Data.Should().ContainSingle().Subject;
        foreach (var field in new[] { "email", "phone", "street", "city", "postal_code", "source", "medium", "campaign", "notes", "status_stage_id", "status_stage_name" })
        {
            lead.GetProperty(field).ValueKind.Should().Be(JsonValueKind.Null, field);
        }
    }

    // A search page is looked for among the slice's next 500 leads first, where a common term fills it, else in the
    // trigram index (a rare term): page after page through the cursors, exactly the term's matches in order either way.
    [TestCase("son")]
    [TestCase("smith")]
    public async Task ShouldPageThroughACommonAndARareSearchTermExactly(string search)
    {
        var run = await ReadAllAsync(Client((await Data.KeyAsync(workspace)).Token), "search=" + search, 20);

        var expected = await ExpectedAsync(Db, workspace, run.WatermarkUtc, new LeadTruth(Search: search));
        expected.Count.Should().BeGreaterThan(40, "more than two pages");
        run.Ids.Should().Equal(expected);
    }

    [TestCaseSource(nameof(FilterCases))]
    public async Task ShouldReturnExactlyTheLeadsTheGroundTruthMatches(FilterCase filterCase)
    {
        var (query, truth) = filterCase.Build(context);

        var run = await ReadAllAsync(Client(token), query, 200);

        var expected = await ExpectedAsync(Db, workspace, run.WatermarkUtc, truth);
        run.Ids.Should().Equal(expected);
        if (filterCase.MatchesSome)
        {
            expected.Should().NotBeEmpty("the case must test something");
            expected.Count.Should().BeLessThan(SeededLeads, "the filter must filter");
        }
        else
        {
            expected.Should().BeEmpty();
        }
    }

    [Test]
    public async Task ShouldMatchSourceMediumAndCampaignWhateverTheirCase()
    {
        var run = await ReadAllAsync(Client(token), "source=GOOGLE&medium=cpc&campaign=hail_storm_RESPONSE", 200);

        var expected = await ExpectedAsync(Db, workspace, run.WatermarkUtc, new LeadTruth("google", "cpc", "hail_storm_response"));
        run.Ids.Should().Equal(expected);
        var spellings = run.Rows.Select(r => (Text(r, "source"), Text(r, "medium"), Text(r, "campaign"))).Distinct().ToList();
        spellings.Should().Contain(("google", "cpc", "hail_storm_response"))
            .And.Contain(("GOOGLE", "CPC", "Hail_Storm_Response"));

        var allGoogle = await ReadAllAsync(Client(token), "source=google", 200);
        allGoogle.Rows.Select(r => Text(r, "source")).Distinct().Should().BeEquivalentTo(["google", "Google", "GOOGLE"],
            "the seeder writes 'Google' now and then; google_business_profile is another source");
    }

    [Test]
    public async Task ShouldTreatFromAndToAsInclusiveBounds()
    {
        var at = Rfc3339(context.TieAt);

        var run = await ReadAllAsync(Client(token), $"from={at}&to={at}", 200);

        run.Ids.Should().HaveCountGreaterThanOrEqualTo(3, "every lead of a bulk edit shares this updated_at")
            .And.Equal(await ExpectedAsync(Db, workspace, run.WatermarkUtc, new LeadTruth(From: context.TieAt, To: context.TieAt)));
        run.Watermark.Should().Be(context.TieAt.AddTicks(-(context.TieAt.Ticks % TimeSpan.TicksPerMillisecond))
            .ToString(TimestampFormat, CultureInfo.InvariantCulture), "the window ends at to, to the millisecond");
    }

    [Test]
    public async Task ShouldReadFromAndToInAnyOffset()
    {
        var from = new DateTimeOffset(context.Now.AddDays(-60)).ToOffset(TimeSpan.FromHours(-5));
        var to = new DateTimeOffset(context.Now.AddDays(-30)).ToOffset(TimeSpan.FromHours(5.5));
        var query = "from=" + Uri.EscapeDataString(from.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture))
            + "&to=" + Uri.EscapeDataString(to.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture));

        var run = await ReadAllAsync(Client(token), query, 200);

        var expected = await ExpectedAsync(Db, workspace, run.WatermarkUtc, new LeadTruth(From: from.UtcDateTime, To: to.UtcDateTime));
        expected.Should().NotBeEmpty();
        run.Ids.Should().Equal(expected);
    }

    [TestCase(1, "campaign=gbp_listing")]
    [TestCase(7, "")]
    [TestCase(50, "")]
    [TestCase(199, "")]
    [TestCase(200, "")]
    [TestCase(3, "source=facebook&status_stage_id={stage0}")]
    public async Task ShouldReturnEveryMatchingLeadExactlyOnceInOrderWhenPagingToTheEnd(int limit, string query)
    {
        query = query.Replace("{stage0}", context.Stages[0].ToString(), StringComparison.Ordinal);
        var truth = query.Length == 0 ? new LeadTruth()
            : query.StartsWith("campaign", StringComparison.Ordinal) ? new LeadTruth(Campaign: "gbp_listing")
            : new LeadTruth(Source: "facebook", StatusStageId: context.Stages[0]);

        var run = await ReadAllAsync(Client(token), query, limit == 50 ? null : limit);

        var expected = await ExpectedAsync(Db, workspace, run.WatermarkUtc, truth);
        expected.Count.Should().BeGreaterThan(limit * 3, "the run must take several pages");
        run.Ids.Should().OnlyHaveUniqueItems().And.Equal(expected);
        run.Pages.Should().HaveCount((expected.Count + limit - 1) / limit);
    }

    [Test]
    public async Task ShouldPageThroughLeadsThatShareAnUpdatedAt()
    {
        var run = await ReadAllAsync(Client(token), "", 7);

        await using var connection = await Db.OpenConnectionAsync();
        var updatedAt = (await connection.QueryAsync<(Guid Id, DateTime UpdatedAt)>(
            "SELECT id, updated_at FROM leads WHERE workspace_id = @workspace", new { workspace })).ToDictionary(r => r.Id, r => r.UpdatedAt);
        var splitTies = run.Pages.Zip(run.Pages.Skip(1))
            .Count(p => updatedAt[p.First.Ids.Last()] == updatedAt[p.Second.Ids.First()]);
        splitTies.Should().BeGreaterThan(0, "some page boundary must fall inside a group of leads with one updated_at");
        run.Ids.Should().OnlyHaveUniqueItems().And.HaveCount(SeededLeads + 3);
        run.Ids.Should().Equal(await ExpectedAsync(Db, workspace, run.WatermarkUtc, new LeadTruth()));
    }

    [Test]
    public async Task ShouldNeverSkipARowUpdatedBetweenTwoPages()
    {
        var ws = (await Data.WorkspaceAsync()).Id;
        var (_, key) = await Data.KeyAsync(ws, "leads.read");
        var start = DateTime.UtcNow.AddDays(-3);
        var ids = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add(await Data.LeadAsync(ws, start.AddMinutes(i), firstName: $"Lead{i}"));
        }

        var client = Client(key);
        var first = await PageAsync(client, "limit=10");
        first.Ids.Should().Equal(ids.Take(10));

        // One lead already delivered and one not yet: an office user edits both. The trigger moves their
        // updated_at to the edit's time, after this run's window.
        var delivered = ids[3];
        var pending = ids[20];
        await using (var connection = await Db.OpenConnectionAsync())
        {
            foreach (var id in new[] { delivered, pending })
            {
                (await connection.ExecuteAsync("UPDATE leads SET notes = 'called back' WHERE id = @id", new { id })).Should().Be(1);
            }
        }

        var pages = new List<ListPage> { first };
        while (pages[^1].HasMore)
        {
            pages.Add(await PageAsync(client, $"cursor={pages[^1].NextCursor}&limit=10"));
        }

        var run1 = pages.SelectMany(p => p.Ids).ToList();
        run1.Should().OnlyHaveUniqueItems().And.Equal(ids.Where(id => id != pending), "the run keeps its window");

        var run2 = await ReadAllAsync(client, "from=" + first.Watermark, 10);

        // In keyset order, (updated_at, id): updated_at is kept to the millisecond, so the two edits can share one.
        await using (var connection = await Db.OpenConnectionAsync())
        {
            var keysetOrder = await connection.QueryAsync<Guid>(
                "SELECT id FROM leads WHERE id = ANY(@ids) ORDER BY updated_at, id", new { ids = new[] { delivered, pending } });
            run2.Ids.Should().Equal(keysetOrder);
        }

        run2.Ids.Should().BeEquivalentTo([delivered, pending]);
        run2.Rows.Should().OnlyContain(r => Text(r, "notes") == "called back");
        run1.Union(run2.Ids).Should().BeEquivalentTo(ids, "no lead is ever skipped");
    }

    [Test]
    public async Task ShouldReuseTheCursorsFiltersWhenTheRequestLeavesThemOut()
    {
        var client = Client(token);
        var first = await PageAsync(client, "source=facebook&search=gmail&limit=20");
        first.HasMore.Should().BeTrue();

        var alone = await PageAsync(client, $"cursor={first.NextCursor}&limit=20");
        var repeated = await PageAsync(client, $"cursor={first.NextCursor}&limit=20&source=FACEBOOK&search=GMAIL");

        var expected = await ExpectedAsync(Db, workspace, ParseWatermark(first.Watermark), new LeadTruth(Source: "facebook", Search: "gmail"));
        alone.Ids.Should().Equal(expected.Skip(20).Take(20));
        repeated.Ids.Should().Equal(alone.Ids);
        alone.Watermark.Should().Be(first.Watermark);
    }

    [TestCase("source=google")]
    [TestCase("medium=paid_social")]
    [TestCase("campaign=free_estimate")]
    [TestCase("from=2020-01-01T00:00:00Z")]
    [TestCase("to=2100-01-01T00:00:00Z")]
    [TestCase("status_stage_id={stage1}")]
    [TestCase("search=gmai")]
    [TestCase("source=facebook&search=gmail&medium=cpc")]
    public async Task ShouldRejectACursorSentWithOtherFilters(string otherFilters)
    {
        var client = Client(token);
        var first = await PageAsync(client, "source=facebook&search=gmail&limit=5");

        var response = await client.GetAsync($"{LeadsPath}?cursor={first.NextCursor}&{otherFilters.Replace("{stage1}", context.Stages[1].ToString(), StringComparison.Ordinal)}");

        var error = await ErrorAsync(response, 400, "invalid_cursor");
        error.GetProperty("param").GetString().Should().Be("cursor");
    }

    [Test]
    public async Task ShouldRejectACursorWithAnyOneCharacterChanged()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var client = Client(token);
        var cursor = (await PageAsync(client, "source=google&limit=5")).NextCursor!;
        cursor.Should().MatchRegex("^[A-Za-z0-9_-]+$");
        (await PageAsync(client, $"cursor={cursor}&limit=5")).Data.Should().HaveCount(5, "the untouched cursor works");

        var accepted = new List<int>();
        for (var i = 0; i < cursor.Length; i++)
        {
            var replacement = alphabet[(alphabet.IndexOf(cursor[i], StringComparison.Ordinal) + 1) % alphabet.Length];
            var tampered = string.Concat(cursor.AsSpan(0, i), replacement.ToString(), cursor.AsSpan(i + 1));
            using var response = await client.GetAsync($"{LeadsPath}?cursor={tampered}&limit=5");
            if ((int)response.StatusCode != 400)
            {
                accepted.Add(i);
                continue;
            }

            var error = await ErrorAsync(response, 400, "invalid_cursor");
            error.GetProperty("param").GetString().Should().Be("cursor");
        }

        accepted.Should().BeEmpty("every position of the cursor is protected");
    }

    [TestCase("")]
    [TestCase("garbage")]
    [TestCase("AAAA")]
    [TestCase("not%20base64%21")]
    [TestCase("%E2%9C%93")]
    [TestCase("{truncated}")]
    [TestCase("{first-half}")]
    [TestCase("{padded}")]
    [TestCase("{doubled}")]
    [TestCase("{huge}")]
    public async Task ShouldRejectAMalformedCursor(string cursor)
    {
        var client = Client(token);
        var real = (await PageAsync(client, "limit=5")).NextCursor!;
        cursor = cursor switch
        {
            "{truncated}" => real[..^1],
            "{first-half}" => real[..(real.Length / 2)],
            "{padded}" => real + "%3D%3D",
            "{doubled}" => real + real,
            "{huge}" => new string('A', 20_000),
            _ => cursor,
        };

        var response = await client.GetAsync($"{LeadsPath}?cursor={cursor}");

        var error = await ErrorAsync(response, 400, "invalid_cursor");
        error.GetProperty("param").GetString().Should().Be("cursor");
    }

    [Test]
    public async Task ShouldAcceptTheCursorItIssuedForTheLongestFilters()
    {
        // Each text filter at its maximum length, in characters the cursor's JSON escapes: the cursor that
        // comes back is long, and sent alone it must still work.
        var ws = (await Data.WorkspaceAsync()).Id;
        var (_, key) = await Data.KeyAsync(ws, "leads.read");
        var campaign = new string('é', 255);
        for (var i = 0; i < 3; i++)
        {
            await Data.LeadAsync(ws, DateTime.UtcNow.AddHours(-1).AddSeconds(i), campaign: campaign);
        }

        var client = Client(key);
        var first = await PageAsync(client, $"campaign={Uri.EscapeDataString(campaign)}&source=google&medium=cpc&limit=1");
        first.NextCursor!.Length.Should().BeGreaterThan(2048);

        var second = await PageAsync(client, $"cursor={first.NextCursor}&limit=2");

        second.Data.Should().HaveCount(2);
        second.HasMore.Should().BeFalse();
    }

    [TestCase("limit=0", "limit")]
    [TestCase("limit=201", "limit")]
    [TestCase("limit=-5", "limit")]
    [TestCase("limit=ten", "limit")]
    [TestCase("limit=2.5", "limit")]
    [TestCase("limit=", "limit")]
    [TestCase("limit=10000", "limit")]
    [TestCase("from=2026-01-01", "from")]
    [TestCase("from=2026-01-01T00:00:00", "from")]
    [TestCase("from=2026-02-30T00:00:00Z", "from")]
    [TestCase("from=yesterday", "from")]
    [TestCase("from=", "from")]
    [TestCase("to=2026-01-01T10:00:00.000", "to")]
    [TestCase("to=2026-01-01T10:00:00%2B0100", "to")]
    [TestCase("to=", "to")]
    [TestCase("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [TestCase("status_stage_id=42", "status_stage_id")]
    [TestCase("status_stage_id=not-a-uuid", "status_stage_id")]
    [TestCase("status_stage_id=7c9e6679742540de944be07fc1f90ae7", "status_stage_id")]
    [TestCase("status_stage_id=", "status_stage_id")]
    [TestCase("source=", "source")]
    [TestCase("source={256}", "source")]
    [TestCase("source=a%00b", "source")]
    [TestCase("medium=", "medium")]
    [TestCase("medium={256}", "medium")]
    [TestCase("campaign=", "campaign")]
    [TestCase("campaign={256}", "campaign")]
    [TestCase("search=", "search")]
    [TestCase("search=ab", "search")]
    [TestCase("search=%C4%B0s", "search")]
    [TestCase("search={201}", "search")]
    [TestCase("search=a%0Ab", "search")]
    [TestCase("source=google&source=facebook", "source")]
    [TestCase("limit=5&limit=5", "limit")]
    public async Task ShouldAnswer400NamingTheParameterForAnInvalidValue(string query, string param)
    {
        query = query.Replace("{256}", new string('x', 256), StringComparison.Ordinal)
            .Replace("{201}", new string('x', 201), StringComparison.Ordinal);

        var response = await Client(token).GetAsync($"{LeadsPath}?{query}");

        var error = await ErrorAsync(response, 400, "invalid_request");
        error.GetProperty("param").GetString().Should().Be(param);
        error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("param").GetString()).Should().Equal(param);
        response.Headers.Contains("X-Sync-Watermark").Should().BeFalse("a rejected query has no window");
    }

    [TestCase("foo=1", "foo")]
    [TestCase("page=2", "page")]
    [TestCase("offset=100", "offset")]
    [TestCase("Limit=5", "Limit")]
    [TestCase("status=won", "status")]
    [TestCase("limit=5&format=csv", "format")]
    [TestCase("search=a&SEARCH=b", "SEARCH")]
    public async Task ShouldAnswer400UnknownParameterNamingIt(string query, string param)
    {
        var response = await Client(token).GetAsync($"{LeadsPath}?{query}");

        var error = await ErrorAsync(response, 400, "unknown_parameter");
        error.GetProperty("param").GetString().Should().Be(param);
        error.GetProperty("message").GetString().Should().Contain(param);
    }

    [Test]
    public async Task ShouldListEveryViolationInDetails()
    {
        var response = await Client(token).GetAsync(
            $"{LeadsPath}?limit=0&from=soon&to=2026-01-01T00:00:00&status_stage_id=x&source=&search={new string('s', 201)}&campaign=a&campaign=b&bogus=1");

        var error = await ErrorAsync(response, 400, "unknown_parameter");
        var details = error.GetProperty("details").EnumerateArray().ToList();
        details.Select(d => d.GetProperty("param").GetString()).Should().BeEquivalentTo(
            ["bogus", "campaign", "limit", "from", "to", "status_stage_id", "source", "search"]);
        details.Should().OnlyContain(d => d.GetProperty("message").GetString()!.Length > 0);
        error.GetProperty("param").GetString().Should().Be(details[0].GetProperty("param").GetString());
    }

    [Test]
    public async Task ShouldMatchNothingForAStageOfNoStageOfTheWorkspace()
    {
        var otherStage = await PageAsync(Client(token), $"status_stage_id={context.OtherWorkspaceStage}");
        var unknown = await PageAsync(Client(token), $"status_stage_id={Guid.NewGuid()}");

        otherStage.Data.Should().BeEmpty();
        otherStage.HasMore.Should().BeFalse();
        unknown.Data.Should().BeEmpty();
    }

    [Test]
    public async Task ShouldNeverShowAWorkspaceAnotherWorkspacesLeads()
    {
        var mine = await ReadAllAsync(Client(otherToken), "", 200);
        var theirs = await ReadAllAsync(Client(token), "source=google", 200);

        mine.Ids.Should().HaveCount(400).And.Equal(await ExpectedAsync(Db, otherWorkspace, mine.WatermarkUtc, new LeadTruth()));
        mine.Ids.Should().NotIntersectWith(theirs.Ids);

        // Whatever cursor of the other workspace it sends, alone or with that cursor's own filters, it gets 400.
        foreach (var page in theirs.Pages.Take(3))
        {
            foreach (var query in new[] { $"cursor={page.NextCursor}", $"cursor={page.NextCursor}&source=google", $"cursor={page.NextCursor}&limit=200" })
            {
                var error = await ErrorAsync(await Client(otherToken).GetAsync($"{LeadsPath}?{query}"), 400, "invalid_cursor");
                error.GetProperty("param").GetString().Should().Be("cursor");
            }
        }

        var otherCursor = (await PageAsync(Client(otherToken), "limit=3")).NextCursor;
        await ErrorAsync(await Client(token).GetAsync($"{LeadsPath}?cursor={otherCursor}"), 400, "invalid_cursor");
    }

    [Test]
    public async Task ShouldStateTheWatermarkOnEveryPage()
    {
        var before = DateTime.UtcNow;
        var client = Client(token);

        var empty = await PageAsync(client, "search=zzqqxxjj");
        var run = await ReadAllAsync(client, "campaign=brand_search", 20);
        var after = DateTime.UtcNow;

        empty.Data.Should().BeEmpty();
        foreach (var watermark in new[] { empty.Watermark, run.Watermark })
        {
            // The settle lag is 0 here: the window ends at the request's time, to the millisecond.
            ParseWatermark(watermark).Should().BeOnOrAfter(before.AddTicks(-(before.Ticks % TimeSpan.TicksPerMillisecond))).And.BeOnOrBefore(after);
        }

        run.Pages.Count.Should().BeGreaterThan(1);
    }

    [Test]
    public async Task ShouldRequireTheLeadsReadScope()
    {
        var (_, exportOnly) = await Data.KeyAsync(workspace, "leads.export");

        var response = await Client(exportOnly).GetAsync(LeadsPath);

        await ErrorAsync(response, 403, "insufficient_scope");
    }

    private static IEnumerable<TestCaseData> FilterCases()
    {
        static TestCaseData Case(string name, bool matchesSome, Func<FilterContext, (string, LeadTruth)> build) =>
            new TestCaseData(new FilterCase(matchesSome, build)).SetArgDisplayNames(name);

        yield return Case("source=google", true, _ => ("source=google", new LeadTruth(Source: "google")));
        yield return Case("source=Google", true, _ => ("source=Google", new LeadTruth(Source: "google")));
        yield return Case("source=facebook", true, _ => ("source=facebook", new LeadTruth(Source: "facebook")));
        yield return Case("source=ANGI", true, _ => ("source=ANGI", new LeadTruth(Source: "angi")));
        yield return Case("source=google_business_profile", true, _ => ("source=google_business_profile", new LeadTruth(Source: "google_business_profile")));
        yield return Case("source=goog", false, _ => ("source=goog", new LeadTruth(Source: "goog")));
        yield return Case("medium=cpc", true, _ => ("medium=cpc", new LeadTruth(Medium: "cpc")));
        yield return Case("medium=PAID_SOCIAL", true, _ => ("medium=PAID_SOCIAL", new LeadTruth(Medium: "paid_social")));
        yield return Case("medium=referral", true, _ => ("medium=referral", new LeadTruth(Medium: "referral")));
        yield return Case("campaign=hail_storm_response", true, _ => ("campaign=hail_storm_response", new LeadTruth(Campaign: "hail_storm_response")));
        yield return Case("campaign=STORM_DAMAGE_TX", true, _ => ("campaign=STORM_DAMAGE_TX", new LeadTruth(Campaign: "storm_damage_tx")));
        yield return Case("campaign=free_estimate", true, _ => ("campaign=free_estimate", new LeadTruth(Campaign: "free_estimate")));
        yield return Case("campaign=%2Bretarget_2026", true, _ => ("campaign=%2Bretarget_2026", new LeadTruth(Campaign: "+retarget_2026")));
        yield return Case("from=now-30d", true, c => ($"from={Rfc3339(c.Now.AddDays(-30))}", new LeadTruth(From: c.Now.AddDays(-30))));
        yield return Case("to=now-365d", true, c => ($"to={Rfc3339(c.Now.AddDays(-365))}", new LeadTruth(To: c.Now.AddDays(-365))));
        yield return Case("from=now-200d&to=now-100d", true, c => (
            $"from={Rfc3339(c.Now.AddDays(-200))}&to={Rfc3339(c.Now.AddDays(-100))}",
            new LeadTruth(From: c.Now.AddDays(-200), To: c.Now.AddDays(-100))));
        yield return Case("from=now+1d", false, c => ($"from={Rfc3339(c.Now.AddDays(1))}", new LeadTruth(From: c.Now.AddDays(1))));
        yield return Case("status_stage_id=New", true, c => ($"status_stage_id={c.Stages[0]}", new LeadTruth(StatusStageId: c.Stages[0])));
        yield return Case("status_stage_id=Won", true, c => ($"status_stage_id={c.Stages[4]}", new LeadTruth(StatusStageId: c.Stages[4])));
        yield return Case("status_stage_id=LOST-UPPERCASE", true, c => ($"status_stage_id={c.Stages[5].ToString().ToUpperInvariant()}", new LeadTruth(StatusStageId: c.Stages[5])));
        yield return Case("search=smith", true, _ => ("search=smith", new LeadTruth(Search: "smith")));
        yield return Case("search=GARCIA", true, _ => ("search=GARCIA", new LeadTruth(Search: "garcia")));
        yield return Case("search=john smith", true, _ => ("search=john%20smith", new LeadTruth(Search: "john smith")));
        yield return Case("search=@yahoo.com", true, _ => ("search=%40yahoo.com", new LeadTruth(Search: "@yahoo.com")));
        yield return Case("search=+1512", true, _ => ("search=%2B1512", new LeadTruth(Search: "+1512")));
        yield return Case("search=houston", true, _ => ("search=houston", new LeadTruth(Search: "houston")));
        yield return Case("search=787", true, _ => ("search=787", new LeadTruth(Search: "787")));
        yield return Case("search= st", true, _ => ("search=%20st", new LeadTruth(Search: " st")));
        yield return Case("search=MUÑOZ", true, _ => ("search=MU%C3%91OZ", new LeadTruth(Search: "muñoz")));
        yield return Case("search=o'brien", true, _ => ("search=o'brien", new LeadTruth(Search: "o'brien")));
        yield return Case("search=r_s", true, _ => ("search=r_s", new LeadTruth(Search: "r_s")));
        yield return Case("search=___", false, _ => ("search=___", new LeadTruth(Search: "___")));
        yield return Case("search=%%%", false, _ => ("search=%25%25%25", new LeadTruth(Search: "%%%")));
        yield return Case("search=\\\\\\", false, _ => ("search=%5C%5C%5C", new LeadTruth(Search: "\\\\\\")));
        yield return Case("search=ann", true, _ => ("search=ann", new LeadTruth(Search: "ann")));
        yield return Case("search=insurance claim (notes are not searched)", false, _ => ("search=insurance%20claim", new LeadTruth(Search: "insurance claim")));
        yield return Case("source+medium+campaign", true, _ => ("source=google&medium=cpc&campaign=roof_repair_near_me",
            new LeadTruth("google", "cpc", "roof_repair_near_me")));
        yield return Case("source+from+to", true, c => ($"source=facebook&from={Rfc3339(c.Now.AddDays(-400))}&to={Rfc3339(c.Now.AddDays(-20))}",
            new LeadTruth(Source: "facebook", From: c.Now.AddDays(-400), To: c.Now.AddDays(-20))));
        yield return Case("status+search", true, c => ($"status_stage_id={c.Stages[0]}&search=gmail",
            new LeadTruth(StatusStageId: c.Stages[0], Search: "gmail")));
        yield return Case("medium+search+from", true, c => ($"medium=referral&search=son&from={Rfc3339(c.Now.AddDays(-365))}",
            new LeadTruth(Medium: "referral", Search: "son", From: c.Now.AddDays(-365))));
        yield return Case("every filter", true, c => (
            $"source=google&medium=cpc&campaign=roof_replacement_search&from={Rfc3339(c.Now.AddDays(-700))}&to={Rfc3339(c.Now)}&status_stage_id={c.Stages[0]}&search=com",
            new LeadTruth("google", "cpc", "roof_replacement_search", c.Now.AddDays(-700), c.Now, c.Stages[0], "com")));
        yield return Case("disjoint source and medium", false, _ => ("source=facebook&medium=cpc", new LeadTruth(Source: "facebook", Medium: "cpc")));
    }

    private static string? Text(JsonElement lead, string field) =>
        lead.GetProperty(field) is { ValueKind: JsonValueKind.Null } ? null : lead.GetProperty(field).GetString();

    public sealed record FilterContext(DateTime Now, IReadOnlyList<Guid> Stages, Guid OtherWorkspaceStage, DateTime TieAt);

    /// <summary>A query string and the ground truth it must match; built once the fixture's data exists.</summary>
    public sealed record FilterCase(bool MatchesSome, Func<FilterContext, (string Query, LeadTruth Truth)> Build);

    /// <summary>The database's own rows, read into the partner shape by a query of the test's own.</summary>
    private static class DbLead
    {
        public const string Sql = """
            SELECT l.id AS Id, l.first_name AS FirstName, l.last_name AS LastName, l.email AS Email, l.phone AS Phone,
                   l.street AS Street, l.city AS City, l.region AS Region, l.postal_code AS PostalCode, l.source AS Source,
                   l.medium AS Medium, l.campaign AS Campaign, l.status_stage_id AS StatusStageId, s.name AS StatusStageName,
                   l.notes AS Notes, l.created_at AS CreatedAt, l.updated_at AS UpdatedAt
            FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id
            """;
    }
}
