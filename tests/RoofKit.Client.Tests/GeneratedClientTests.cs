using System.Globalization;
using System.Net;
using RoofKit.Testing;
using RoofKit.Client;

namespace RoofKit.Client.Tests;

/// <summary>
/// What a partner does with a client generated from docs/openapi.json: page through leads with cursors, export in
/// segments, filter, and handle errors. If the document misdescribed the API, these would not compile or would fail.
/// </summary>
public sealed class GeneratedClientTests : GeneratedClientTestBase
{
    private const string CsvHeader =
        "id,first_name,last_name,email,phone,street,city,region,postal_code,source,medium,campaign,status_stage_id,status_stage_name,notes,created_at,updated_at";

    [Test]
    public async Task ShouldListEveryLeadOnceByFollowingNextCursor()
    {
        var client = Client(FullKey);
        var leads = new List<Lead>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await client.ListLeadsAsync(cursor: cursor, limit: 50);
            response.StatusCode.Should().Be(200);
            DateTimeOffset.Parse(Header(response.Headers, "X-Sync-Watermark"), CultureInfo.InvariantCulture).Offset.Should().Be(TimeSpan.Zero);
            var page = response.Result;
            leads.AddRange(page.Data);
            (page.Next_cursor is not null).Should().Be(page.Has_more);
            cursor = page.Next_cursor;
            pages++;
        }
        while (cursor is not null);

        pages.Should().Be(3);
        leads.Should().HaveCount(Leads);
        leads.Select(l => l.Id).Should().OnlyHaveUniqueItems();
        leads.Select(l => (l.Updated_at, l.Id)).Should().BeInAscendingOrder(Comparer<(DateTimeOffset, Guid)>.Create(
            (a, b) => a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2.ToString(), b.Item2.ToString())));
    }

    [Test]
    public async Task ShouldExportInSegmentsReadingTruncationAndNextCursorHeaders()
    {
        var client = Client(FullKey);
        var ids = new List<string>();
        string? cursor = null;
        var segments = new List<(bool Truncated, int Rows)>();
        do
        {
            using var file = await client.ExportLeadsAsync(cursor: cursor, limit: 50);
            file.StatusCode.Should().Be(200);
            Header(file.Headers, "Content-Type").Should().Be("text/csv; charset=utf-8; header=present");
            Header(file.Headers, "Content-Disposition").Should().MatchRegex("^attachment; filename=\"roofkit-leads-[0-9]{8}T[0-9]{6}Z\\.csv\"$");
            var truncated = bool.Parse(Header(file.Headers, "X-Export-Truncated"));
            cursor = truncated ? Header(file.Headers, "X-Export-Next-Cursor") : null;
            if (!truncated)
            {
                HasHeader(file.Headers, "X-Export-Next-Cursor").Should().BeFalse();
            }

            var records = await ReadCsvAsync(file.Stream);
            string.Join(',', records[0]).Should().Be(CsvHeader);
            int.Parse(Header(file.Headers, "X-Export-Row-Count"), CultureInfo.InvariantCulture).Should().Be(records.Count - 1);
            ids.AddRange(records.Skip(1).Select(r => r[0]));
            segments.Add((truncated, records.Count - 1));
        }
        while (cursor is not null);

        segments.Should().Equal((true, 50), (true, 50), (false, 20));
        var listed = (await Client(FullKey).ListLeadsAsync(limit: 200)).Result.Data.Select(l => l.Id.ToString()).ToList();
        ids.Should().Equal(listed, "export and list serve the same rows in the same order");
    }

    /// <summary>The records of a CSV body, header row first, read by CsvHelper (fields may hold line breaks).</summary>
    private static async Task<List<string[]>> ReadCsvAsync(Stream body)
    {
        using var bytes = new MemoryStream();
        await body.CopyToAsync(bytes);
        return Csv.Parse(bytes.ToArray());
    }

    [Test]
    public async Task ShouldPageDeletionsAndSurfaceAnExpiredWindowAsATypedException()
    {
        // Leads of their own, deleted by SQL: the seeded ones stay for the other tests.
        var ids = Enumerable.Range(0, 25).Select(_ => Guid.NewGuid()).ToArray();
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO leads (id, workspace_id, first_name) SELECT unnest(@ids), @workspace, 'Gone'", new { ids, workspace = WorkspaceId });
            await Dapper.SqlMapper.ExecuteAsync(connection, "DELETE FROM leads WHERE id = ANY(@ids)", new { ids });
        }

        var client = Client(ReadOnlyKey);
        var deleted = new List<Guid>();
        string? cursor = null;
        do
        {
            var response = await client.ListLeadDeletionsAsync(cursor: cursor, limit: 10);
            Header(response.Headers, "X-Sync-Watermark").Should().MatchRegex(@"Z$");
            deleted.AddRange(response.Result.Data.Select(d => d.Id));
            response.Result.Data.Should().OnlyContain(d => d.Deleted_at.Offset == TimeSpan.Zero);
            cursor = response.Result.Next_cursor;
        }
        while (cursor is not null);

        deleted.Should().BeEquivalentTo(ids);
        var expired = (await FluentActions.Awaiting(() => client.ListLeadDeletionsAsync(from: DateTimeOffset.UtcNow.AddDays(-31)))
            .Should().ThrowAsync<RoofKitApiException<ErrorResponse>>()).Which;
        Status(expired).Should().Be(HttpStatusCode.Gone);
        expired.Result.Error.Code.Should().Be("sync_expired");
    }

    [Test]
    public async Task ShouldSendTimeFiltersWithTheirOffset()
    {
        var client = Client(FullKey);
        var all = (await client.ListLeadsAsync(limit: 200)).Result.Data.ToList();
        // Times are stored and shown to the millisecond, and some leads share one: `from` is the
        // time of a lead that follows the one before it, `to` 1 ms past a lead that the next follows by 2 ms or more.
        var first = Enumerable.Range(30, 20).First(i => all[i].Updated_at > all[i - 1].Updated_at);
        var last = Enumerable.Range(89, 20).First(i => all[i + 1].Updated_at - all[i].Updated_at >= TimeSpan.FromMilliseconds(2));
        // In a time zone of its own, to prove the offset reaches the API.
        var from = all[first].Updated_at.ToOffset(TimeSpan.FromHours(-5));
        var to = all[last].Updated_at.AddMilliseconds(1);

        var window = (await client.ListLeadsAsync(from: from, to: to, limit: 200)).Result.Data.ToList();

        window.Select(l => l.Id).Should().Equal(all.Skip(first).Take(last - first + 1).Select(l => l.Id));
    }

    [Test]
    public async Task ShouldMapLeadsToTheirStatusStages()
    {
        var client = Client(ReadOnlyKey);
        var stages = (await client.ListStatusStagesAsync()).Result.Data.ToList();
        stages.Select(s => s.Kind).Should().Contain(StatusStageKind.Open).And.Contain(StatusStageKind.Won).And.Contain(StatusStageKind.Lost);

        var stage = stages[0];
        var leads = (await client.ListLeadsAsync(status_stage_id: stage.Id, limit: 200)).Result.Data;

        leads.Should().NotBeEmpty().And.OnlyContain(l => l.Status_stage_id == stage.Id && l.Status_stage_name == stage.Name);
    }

    [Test]
    public async Task ShouldSurfaceAValidationErrorAsATypedException()
    {
        var act = () => Client(FullKey).ListLeadsAsync(limit: 201);

        var exception = (await act.Should().ThrowAsync<RoofKitApiException<ErrorResponse>>()).Which;
        Status(exception).Should().Be(HttpStatusCode.BadRequest);
        exception.Result.Error.Code.Should().Be("invalid_request");
        exception.Result.Error.Param.Should().Be("limit");
        exception.Result.Error.Details.Should().ContainSingle(d => d.Param == "limit");
        exception.Result.Error.Request_id.Should().Be(Header(exception.Headers, "X-Request-Id"));
        HasHeader(exception.Headers, "X-RateLimit-Remaining").Should().BeTrue();
    }

    [Test]
    public async Task ShouldSurfaceAnInvalidCursorOnExportAsATypedException()
    {
        var act = () => Client(FullKey).ExportLeadsAsync(cursor: "not-a-cursor");

        var exception = (await act.Should().ThrowAsync<RoofKitApiException<ErrorResponse>>()).Which;
        Status(exception).Should().Be(HttpStatusCode.BadRequest);
        exception.Result.Error.Code.Should().Be("invalid_cursor");
    }

    [Test]
    public async Task ShouldSurfaceAuthenticationAndScopeErrorsAsTypedExceptions()
    {
        var missing = (await FluentActions.Awaiting(() => Client(null).ListStatusStagesAsync())
            .Should().ThrowAsync<RoofKitApiException<ErrorResponse>>()).Which;
        Status(missing).Should().Be(HttpStatusCode.Unauthorized);
        missing.Result.Error.Code.Should().Be("missing_api_key");
        Header(missing.Headers, "WWW-Authenticate").Should().Be("Bearer realm=\"RoofKit Partner API\"");

        var scope = (await FluentActions.Awaiting(() => Client(ReadOnlyKey).ExportLeadsAsync())
            .Should().ThrowAsync<RoofKitApiException<ErrorResponse>>()).Which;
        Status(scope).Should().Be(HttpStatusCode.Forbidden);
        scope.Result.Error.Code.Should().Be("insufficient_scope");
        Header(scope.Headers, "WWW-Authenticate").Should().Contain("scope=\"leads.export\"");
    }
}
