using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using RoofKit.Testing;
using RoofKit.Api.Formatters;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Api.Tests.Leads;

public sealed class ExportLeadsTests : ApiTestBase
{
    // A clock that stands still (an hour ahead, so every seeded lead is inside the sync window) keeps the
    // rate-limit test inside one window whatever the wall clock does.
    protected override TimeProvider? Clock { get; } = new RoofKit.Testing.TestClock(DateTimeOffset.UtcNow.AddHours(1));

    private Guid bigWorkspace;

    protected override async Task OneTimeSetUpAsync()
    {
        var workspace = await Data.WorkspaceAsync();
        bigWorkspace = workspace.Id;
        await Data.SeedAsync(bigWorkspace, 25_001, seed: 11);
    }

    /// <summary>
    /// A client of the big workspace with a key of its own: a rate-limit bucket is per key, and the clock stands still,
    /// so each test has a whole window's budget whatever the other tests spent and in whatever order they run.
    /// </summary>
    private async Task<HttpClient> BigWorkspaceClientAsync() => Client((await Data.KeyAsync(bigWorkspace)).Token);

    [Test]
    public async Task ShouldExport25001LeadsAsThreeSegmentsThroughTheReturnedCursors()
    {
        var segments = await ExportAllAsync(await BigWorkspaceClientAsync(), query: null);

        foreach (var segment in segments)
        {
            segment.Records[0].Should().Equal(LeadCsvEncoder.Columns);
            if (segment.NextCursor is not null)
            {
                segment.Link.Should().Contain("cursor=" + Uri.EscapeDataString(segment.NextCursor)).And.EndWith("; rel=\"next\"");
            }
        }

        segments.Select(segment => segment.Rows.Count).Should().Equal(10_000, 10_000, 5_001);
        segments.Select(segment => segment.Truncated).Should().Equal("true", "true", "false");
        segments.SelectMany(segment => segment.Rows).Select(r => r[0]).Should().Equal(await KeysetOrderAsync(bigWorkspace));
    }

    [Test]
    public async Task ShouldWriteEveryColumnAsTheDatabaseHasIt()
    {
        var response = await (await BigWorkspaceClientAsync()).GetAsync("/api/v1/leads/export?limit=500");
        var rows = Csv.Parse(await response.Content.ReadAsByteArrayAsync()).Skip(1).ToList();

        await using var connection = await Db.OpenConnectionAsync();
        var truth = (await connection.QueryAsync("""
            SELECT l.*, s.name AS stage_name FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id
            WHERE l.workspace_id = @bigWorkspace ORDER BY l.updated_at, l.id LIMIT 500
            """, new { bigWorkspace })).ToList();
        rows.Should().HaveCount(500);
        for (var i = 0; i < rows.Count; i++)
        {
            var t = truth[i];
            var expected = new[]
            {
                ((Guid)t.id).ToString(), t.first_name, t.last_name, t.email, t.phone, t.street, t.city, t.region, t.postal_code,
                t.source, t.medium, t.campaign, ((Guid?)t.status_stage_id)?.ToString(), t.stage_name, t.notes,
                ((DateTime)t.created_at).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"), ((DateTime)t.updated_at).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            }.Select(v => (string?)v ?? "").Select(v => v.Length > 0 && "=+-@\t\r\n".Contains(v[0]) && !PlainNumber(v) ? "'" + v : v).ToArray();
            rows[i].Should().Equal(expected, $"row {i} must match the database");
        }
    }

    [Test]
    public async Task ShouldSendTheContractsHeadersAndFormat()
    {
        var response = await (await BigWorkspaceClientAsync()).GetAsync("/api/v1/leads/export?limit=3");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("text/csv; charset=utf-8; header=present");
        response.Content.Headers.ContentDisposition!.ToString().Should().MatchRegex("^attachment; filename=\"roofkit-leads-\\d{8}T\\d{6}Z\\.csv\"$");
        response.Headers.CacheControl!.NoStore.Should().BeTrue();
        response.Headers.GetValues("X-Export-Truncated").Single().Should().Be("true");
        response.Headers.GetValues("X-Export-Row-Count").Single().Should().Be("3");
        response.Headers.GetValues("X-Sync-Watermark").Single().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
        response.Headers.GetValues("X-RateLimit-Limit").Single().Should().Be("60");
        response.Headers.GetValues("X-RateLimit-Remaining").Single().Should().Be("59", "the test's own key has spent one request of its window");
        response.Headers.GetValues("X-RateLimit-Reset").Single().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");

        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF }, "no byte order mark");
        var text = Encoding.UTF8.GetString(bytes);
        text.Should().StartWith(string.Join(",", LeadCsvEncoder.Columns) + "\r\n").And.EndWith("\r\n");
        text.Split("\r\n").Should().HaveCount(5, "a header, three records and the empty remainder after the last CRLF");
    }

    [Test]
    public async Task ShouldReturnSevenRowsAndACursorForLimit7()
    {
        var response = await (await BigWorkspaceClientAsync()).GetAsync("/api/v1/leads/export?limit=7");

        Csv.Parse(await response.Content.ReadAsByteArrayAsync()).Should().HaveCount(8);
        response.Headers.GetValues("X-Export-Truncated").Single().Should().Be("true");
        response.Headers.GetValues("X-Export-Next-Cursor").Single().Should().NotBeNullOrEmpty();
        response.Headers.GetValues("Link").Single().Should().Contain("limit=7");
    }

    // An export reads its workspace's stage names once per segment, in the rows' snapshot, instead of joining them
    // to each row (ADR-010): a renamed stage is named as it is now, a lead without a stage has neither id nor name,
    // and the list, which keeps the join, says the same.
    [Test]
    public async Task ShouldNameEachLeadsStageAsItIsNowAndLeaveALeadWithoutOneEmpty()
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var stages = await Data.StagesAsync(workspace);
        var start = DateTime.UtcNow.AddDays(-1);
        var renamed = await Data.LeadAsync(workspace, start, stageId: stages[0].Id);
        var none = await Data.LeadAsync(workspace, start.AddMinutes(1), stageId: null);
        var other = await Data.LeadAsync(workspace, start.AddMinutes(2), stageId: stages[1].Id);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE status_stages SET name = 'Inspection booked' WHERE id = @id", new { id = stages[0].Id });
        }

        var client = Client((await Data.KeyAsync(workspace, "leads.read", "leads.export")).Token);
        var expected = new[]
        {
            (renamed.ToString(), stages[0].Id.ToString(), "Inspection booked"),
            (none.ToString(), "", ""),
            (other.ToString(), stages[1].Id.ToString(), stages[1].Name),
        };

        var rows = Csv.Parse(await (await client.GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync()).Skip(1);
        rows.Select(r => (r[0], r[12], r[13])).Should().Equal(expected);
        var page = (await JsonAsync(await client.GetAsync("/api/v1/leads"))).GetProperty("data").EnumerateArray();
        page.Select(l => (l.GetProperty("id").GetString()!, l.GetProperty("status_stage_id").GetString() ?? "",
            l.GetProperty("status_stage_name").GetString() ?? "")).Should().Equal(expected);
    }

    // Where a segment ends, at the boundary: the workspace holds exactly 10 leads. A full segment's end is read at
    // positions limit and limit + 1 of the slice; a shorter one's by numbering its keys (ADR-010).
    [TestCase(9, new[] { 9, 1 })]
    [TestCase(10, new[] { 10 })]
    [TestCase(11, new[] { 10 })]
    [TestCase(1, new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })]
    public async Task ShouldEndEachSegmentExactlyWhereTheLimitOrTheWorkspaceDoes(int limit, int[] segments)
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        (await Data.SeedAsync(workspace, 10)).Should().Be(10);
        var client = Client((await Data.KeyAsync(workspace, "leads.export")).Token);

        var exported = await ExportAllAsync(client, $"limit={limit}");

        exported.Select(segment => segment.Rows.Count).Should().Equal(segments);
        exported.Select(segment => segment.Truncated).Should().Equal(segments.Select((_, i) => i < segments.Length - 1 ? "true" : "false"));
        exported.SelectMany(segment => segment.Rows).Select(r => r[0]).Should().Equal(await KeysetOrderAsync(workspace));
    }

    // An export segment with a search reads the term's matches from the trigram index (ADR-010 decision 15), a common
    // term's as a rare one's: segment after segment through the cursors, exactly the matches in order.
    [TestCase("son")]
    [TestCase("smith")]
    public async Task ShouldExportExactlyTheLeadsASearchMatchesThroughEverySegment(string search)
    {
        var segments = await ExportAllAsync(await BigWorkspaceClientAsync(), $"search={search}&limit=200");

        var expected = await LeadTruth.ExpectedAsync(Db, bigWorkspace, DateTime.UtcNow.AddHours(1), new LeadTruth(Search: search));
        segments.Should().HaveCountGreaterThan(1, "more than one segment");
        segments.SelectMany(segment => segment.Rows).Select(r => r[0]).Should().Equal(expected.Select(id => id.ToString()));
    }

    [Test]
    public async Task ShouldReturnTheHeaderRowAloneWhenNothingMatches()
    {
        var response = await (await BigWorkspaceClientAsync()).GetAsync("/api/v1/leads/export?source=no-such-source");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).Should().Be(string.Join(",", LeadCsvEncoder.Columns) + "\r\n");
        response.Headers.GetValues("X-Export-Truncated").Single().Should().Be("false");
        response.Headers.GetValues("X-Export-Row-Count").Single().Should().Be("0");
        response.Headers.Contains("X-Export-Next-Cursor").Should().BeFalse();
        response.Headers.Contains("Link").Should().BeFalse();
    }

    [Test]
    public async Task ShouldEscapeEveryFormulaCharacterAtTheStartOfEveryTextColumnAndAlterNothingElse()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        var starts = new[] { "=", "+", "-", "@", "\t", "\r", "\n" };
        var time = new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        var expected = new Dictionary<Guid, string>();
        foreach (var start in starts)
        {
            var value = start + "1+2 \"quoted\", cmd|' /C calc'!A0";
            time = time.AddMinutes(1);
            // The stage's name is a text column of the export too: the workspace names its stages, not RoofKit.
            var stage = await StageAsync(workspace.Id, value);
            var id = await Data.LeadAsync(workspace.Id, time, firstName: value, lastName: value, email: value, source: value,
                medium: value, campaign: value, notes: value, phone: value, street: value, city: value, postalCode: value,
                region: value, stageId: stage);
            expected[id] = value;
        }

        var safe = await Data.LeadAsync(workspace.Id, time.AddMinutes(1), firstName: "Ann", lastName: "O'Neil", notes: "call 1-800 = later; a@b", source: "google");

        var rows = Csv.Parse(await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync()).Skip(1).ToList();

        rows.Should().HaveCount(starts.Length + 1);
        TextColumns.Select(c => LeadCsvEncoder.Columns[c]).Should().Equal(
            "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code", "source", "medium", "campaign",
            "status_stage_name", "notes");
        foreach (var row in rows.Where(r => r[0] != safe.ToString()))
        {
            var original = expected[Guid.Parse(row[0])];
            foreach (var column in TextColumns)
            {
                row[column].Should().Be("'" + original, $"column {LeadCsvEncoder.Columns[column]} starts with a formula character");
            }
        }

        var plain = rows.Single(r => r[0] == safe.ToString());
        plain[1].Should().Be("Ann");
        plain[2].Should().Be("O'Neil");
        plain[7].Should().Be("TX");
        plain[14].Should().Be("call 1-800 = later; a@b");
    }

    [Test]
    public async Task ShouldWriteSignedPlainNumbersAsTheyAreWithoutTheEscape()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        await Data.LeadAsync(workspace.Id, new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc),
            phone: "+15125550142", notes: "-3.5", street: "-007", postalCode: "+0.50");

        var body = await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync();

        var row = Csv.Parse(body)[1];
        row[4].Should().Be("+15125550142", "an E.164 phone keeps its + and gets no '");
        row[14].Should().Be("-3.5");
        row[5].Should().Be("-007");
        row[8].Should().Be("+0.50");
        Encoding.UTF8.GetString(body).Should().Contain(",+15125550142,-007,Austin,TX,+0.50,", "a plain number is written unquoted, as it is");
    }

    [TestCase("+1+1")]
    [TestCase("-2-3")]
    [TestCase("=1")]
    [TestCase("+A1")]
    [TestCase("-3.5e2")]
    [TestCase("+1 512 555 0142")]
    [TestCase("-.5")]
    [TestCase("+792281625142643375935439503350")]
    public async Task ShouldEscapeSignedTextThatIsNoPlainNumber(string value)
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        await Data.LeadAsync(workspace.Id, new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc), phone: value, notes: value);

        var row = Csv.Parse(await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync())[1];

        row[4].Should().Be("'" + value);
        row[14].Should().Be("'" + value);
    }

    // CONTRACT.md §7: a missing value is an empty field, and text goes out as the UTF-8 it was stored as; an export's
    // text is copied from PostgreSQL's bytes (ADR-010 decision 13), an empty one and a missing one alike.
    [Test]
    public async Task ShouldWriteEmptyAndMissingTextAsEmptyFieldsAndOtherTextByteForByte()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        const string note = "Dach überprüft – Ziegel ✓, 屋根 🏠";
        await Data.LeadAsync(workspace.Id, new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc), firstName: "", lastName: "Ñúñez", notes: note);

        var body = await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync();

        // first_name empty, email missing; the stage (id and name) missing; the note quoted for its comma.
        Encoding.UTF8.GetString(body).Should().MatchRegex(
            "\r\n[0-9a-f-]{36},,Ñúñez,,[+]15125550100,1 Main St,[^\r\n]*,,,\"" + note + "\",[0-9TZ:.-]+,[0-9TZ:.-]+\r\n$");
    }

    [TestCase("x;y")]
    [TestCase("a\tb")]
    [TestCase("a,b")]
    [TestCase("a\"b")]
    [TestCase("a\rb")]
    [TestCase("a\nb")]
    public async Task ShouldQuoteAFieldThatHoldsASeparatorAQuoteOrALineBreak(string value)
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        await Data.LeadAsync(workspace.Id, new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc), firstName: value);

        var body = await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync();

        Encoding.UTF8.GetString(body).Should().Contain(",\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\",Lee,");
        Csv.Parse(body)[1][1].Should().Be(value);
    }

    // What LibreOffice Calc does with the export when a user picks ; or tab as the separator (scripts/e2e.sh checks
    // LibreOffice itself): it starts a cell after every such separator and every line break that it does not see
    // inside quotes, and it sees quotes only at the start of one of its own cells, so a field's quotes do not protect
    // the middle of the field. Here every line is cut at every separator and line break, ignoring quotes, which
    // starts a cell wherever any of those imports could; no such cell may start like a formula, unless it is a plain number.
    [Test]
    public async Task ShouldLeaveNoCellStartingLikeAFormulaUnderAnySeparator()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        string[] payloads =
        [
            "=1+1", "+1+1", "-2-3", "@SUM(1+1)", "+A1", "\t=2+2", "\r\n=3+3", "\n=4+4", "x;=1+1;y", "a\t=3+3\tb", "q,=6+6",
            "line\n=7+7", "line\r\n=8+8", "x; =9+9", "x;\"=10+10\"", "\";=11+11", "\"\";=12+12;\"",
            "=HYPERLINK(\"http://evil.example\",\"click\")", "a,+13+13,-14-14,@SUM(1+1)", "-3.5;=15+15", "+15125550143;=16+16",
        ];
        var time = new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        foreach (var value in payloads)
        {
            time = time.AddMinutes(1);
            var stage = await StageAsync(workspace.Id, value);
            await Data.LeadAsync(workspace.Id, time, firstName: value, lastName: value, email: value, source: value,
                medium: value, campaign: value, notes: value, phone: value, street: value, city: value, postalCode: value,
                region: value, stageId: stage);
        }

        await Data.LeadAsync(workspace.Id, time.AddMinutes(1), phone: "+15125550142", notes: "-3.5");

        var body = await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsByteArrayAsync();

        var cells = Encoding.UTF8.GetString(body).Split(['\r', '\n', ',', ';', '\t'])
            .Select(cell => cell.TrimStart('"', ' ').TrimEnd('"'))
            .ToList();
        cells.Should().Contain("+15125550142").And.Contain("-3.5");
        cells.Where(cell => cell.Length > 0 && "=+-@".Contains(cell[0]) && !PlainNumber(cell))
            .Should().BeEmpty("no part of any field may start a formula cell, whatever the separator");

        var rows = Csv.Parse(body).Skip(1).ToDictionary(r => r[1], r => r);
        rows.Keys.Should().Contain(["'=1+1", "x;'=1+1;y", "a\t'=3+3\tb", "'\n'=4+4", "line\r\n'=8+8", "\";'=11+11", "'-3.5;'=15+15"]);
        TextColumns.Select(c => rows["x;'=1+1;y"][c]).Should().AllBe("x;'=1+1;y", "every text column is treated alike");
    }

    [Test]
    public async Task ShouldSendTheDocumentedCsvExampleForTheExamplesLead()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO status_stages (id, workspace_id, name, position, kind)
                VALUES ('3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14', @workspace, 'Inspection scheduled', 100, 'open');
                INSERT INTO leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                                   source, medium, campaign, status_stage_id, notes, created_at, updated_at)
                VALUES ('9b1f3c2e-5a7d-4e8f-b6a1-0c2d3e4f5a6b', @workspace, 'Dana', 'Whitfield', 'dana.whitfield@example.com',
                        '+15125550142', '418 Maple Ave', 'Austin', 'TX', '78704', 'google', 'cpc', 'spring-roof-check',
                        '3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14', '=wants a quote for hail damage',
                        '2026-11-20T15:02:11.481Z', '2026-11-27T10:14:59.123Z');
                """, new { workspace = workspace.Id });
        }

        var body = await (await Client(token).GetAsync("/api/v1/leads/export")).Content.ReadAsStringAsync();

        body.Should().Be(RoofKit.Api.OpenApi.OpenApiExamples.Csv);
    }

    /// <summary>The export's columns that hold text: every one but the ids and the timestamps.</summary>
    private static readonly int[] TextColumns = Enumerable.Range(0, LeadCsvEncoder.Columns.Length)
        .Where(c => LeadCsvEncoder.Columns[c] is not ("id" or "status_stage_id" or "created_at" or "updated_at"))
        .ToArray();

    /// <summary>A stage of the workspace with the given name; returns its id.</summary>
    private async Task<Guid> StageAsync(Guid workspace, string name)
    {
        var id = Guid.NewGuid();
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO status_stages (id, workspace_id, name, position, kind)
            VALUES (@id, @workspace, @name, (SELECT coalesce(max(position), 0) + 1 FROM status_stages WHERE workspace_id = @workspace), 'open')
            """, new { id, workspace, name });
        return id;
    }

    private static bool PlainNumber(string value) => Regex.IsMatch(value, @"^[+-]?[0-9]+(\.[0-9]+)?$");

    [Test]
    public async Task ShouldContinueAnExportWithAListCursorAndAListWithAnExportCursor()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var truth = (await connection.QueryAsync<Guid>(
            "SELECT id FROM leads WHERE workspace_id = @bigWorkspace ORDER BY updated_at, id LIMIT 40", new { bigWorkspace })).Select(g => g.ToString()).ToList();
        var client = await BigWorkspaceClientAsync();

        var list = await JsonAsync(await client.GetAsync("/api/v1/leads?limit=10"));
        var listCursor = list.GetProperty("next_cursor").GetString()!;
        var export = await client.GetAsync("/api/v1/leads/export?limit=10&cursor=" + Uri.EscapeDataString(listCursor));
        var exportIds = Csv.Parse(await export.Content.ReadAsByteArrayAsync()).Skip(1).Select(r => r[0]).ToList();
        var exportCursor = export.Headers.GetValues("X-Export-Next-Cursor").Single();
        var list2 = await JsonAsync(await client.GetAsync("/api/v1/leads?limit=20&cursor=" + Uri.EscapeDataString(exportCursor)));

        var ids = list.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("id").GetString()!)
            .Concat(exportIds)
            .Concat(list2.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("id").GetString()!))
            .ToList();
        ids.Should().Equal(truth);
    }

    [TestCase("gzip")]
    [TestCase("br")]
    public async Task ShouldCompressWhenTheClientAllowsItToTheSameBytes(string encoding)
    {
        var plain = await (await (await BigWorkspaceClientAsync()).GetAsync("/api/v1/leads/export?limit=2000")).Content.ReadAsByteArrayAsync();
        var client = await BigWorkspaceClientAsync();
        client.DefaultRequestHeaders.AcceptEncoding.ParseAdd(encoding);

        var response = await client.GetAsync("/api/v1/leads/export?limit=2000");

        response.Content.Headers.ContentEncoding.Should().Equal(encoding);
        var compressed = await response.Content.ReadAsByteArrayAsync();
        compressed.Length.Should().BeLessThan(plain.Length / 2);
        await using Stream decompressor = encoding == "gzip"
            ? new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress)
            : new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        await decompressor.CopyToAsync(output);
        Encoding.UTF8.GetString(output.ToArray()).Should().Be(Encoding.UTF8.GetString(plain));
    }

    [Test]
    public async Task ShouldAnswerEveryErrorOfTheSeedPageWithAnErrorResponse()
    {
        var readOnly = (await Data.KeyAsync(bigWorkspace, Scopes.LeadsRead)).Token;
        var suspended = await Data.WorkspaceAsync(RoofKit.Domain.Workspaces.WorkspaceStatus.Suspended);
        var suspendedKey = (await Data.KeyAsync(suspended.Id)).Token;
        var big = await BigWorkspaceClientAsync();

        await ErrorAsync(await big.GetAsync("/api/v1/leads/export?limit=10001"), 400, "invalid_request");
        await ErrorAsync(await big.GetAsync("/api/v1/leads/export?limit=0"), 400, "invalid_request");
        await ErrorAsync(await big.GetAsync("/api/v1/leads/export?format=xlsx"), 400, "unknown_parameter");
        await ErrorAsync(await big.GetAsync("/api/v1/leads/export?cursor=garbage"), 400, "invalid_cursor");
        await ErrorAsync(await big.GetAsync("/api/v1/leads/export?from=2025-01-01"), 400, "invalid_request");
        await ErrorAsync(await Client().GetAsync("/api/v1/leads/export"), 401, "missing_api_key");
        await ErrorAsync(await Client("rk_live_nope").GetAsync("/api/v1/leads/export"), 401, "invalid_api_key");
        await ErrorAsync(await Client(readOnly).GetAsync("/api/v1/leads/export"), 403, "insufficient_scope");
        await ErrorAsync(await Client(suspendedKey).GetAsync("/api/v1/leads/export"), 403, "workspace_inactive");

        var limited = await Data.KeyAsync(bigWorkspace);
        HttpResponseMessage last;
        var requests = 0;
        do
        {
            last = await Client(limited.Token).GetAsync("/api/v1/leads/export?limit=1");
            requests++;
        }
        while (last.StatusCode == HttpStatusCode.OK && requests <= 61);

        requests.Should().Be(61, "the default export limit is 60 requests a window");
        await ErrorAsync(last, 429, "rate_limited");
        int.Parse(last.Headers.GetValues("Retry-After").Single()).Should().BeInRange(1, 60);
        last.Headers.GetValues("X-RateLimit-Remaining").Single().Should().Be("0");
    }

    /// <summary>
    /// Every segment of an export, each request following the last one's cursor with the same <paramref name="query"/>;
    /// each must be a 200 whose row count header counts its rows.
    /// </summary>
    private static async Task<List<ExportedSegment>> ExportAllAsync(HttpClient client, string? query)
    {
        var segments = new List<ExportedSegment>();
        string? cursor = null;
        do
        {
            var parameters = string.Join("&", new[] { cursor is null ? null : "cursor=" + Uri.EscapeDataString(cursor), query }.OfType<string>());
            var response = await client.GetAsync("/api/v1/leads/export" + (parameters.Length == 0 ? "" : "?" + parameters));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var records = Csv.Parse(await response.Content.ReadAsByteArrayAsync());
            var rows = records.Skip(1).ToList();
            int.Parse(response.Headers.GetValues("X-Export-Row-Count").Single()).Should().Be(rows.Count);
            cursor = response.Headers.TryGetValues("X-Export-Next-Cursor", out var next) ? next.Single() : null;
            segments.Add(new ExportedSegment(
                records, rows, response.Headers.GetValues("X-Export-Truncated").Single(), cursor,
                response.Headers.TryGetValues("Link", out var link) ? link.Single() : null));
        }
        while (cursor is not null);

        return segments;
    }

    /// <summary>The workspace's lead ids in keyset order, as the database has them.</summary>
    private async Task<List<string>> KeysetOrderAsync(Guid workspace)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<Guid>(
            "SELECT id FROM leads WHERE workspace_id = @workspace ORDER BY updated_at, id", new { workspace })).Select(g => g.ToString()).ToList();
    }

    private sealed record ExportedSegment(List<string[]> Records, List<string[]> Rows, string Truncated, string? NextCursor, string? Link);
}
