using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListDeletions;
using RoofKit.Application.Leads.Queries.ListLeads;

namespace RoofKit.Application.Tests.Leads.Common;

/// <summary>
/// The rules of CONTRACT.md §6: what a valid query parses to, and every problem of an invalid one, each naming its
/// parameter.
/// </summary>
public sealed class LeadQueryTests
{
    private static readonly string Long255 = new('a', 255);
    private static readonly string Long256 = new('a', 256);

    [TestCase("", 50)]
    [TestCase("limit=1", 1)]
    [TestCase("limit=200", 200)]
    [TestCase("limit=007", 7)]
    public void ShouldTakeTheLimitOrTheListsDefault(string query, int limit)
    {
        var parsed = List(query);

        parsed.Limit.Should().Be(limit);
        parsed.Filter.Should().Be(LeadFilter.None);
        parsed.Cursor.Should().BeNull();
        parsed.Kind.Should().Be(CursorKind.Leads);
    }

    [Test]
    public void ShouldTakeTheTextFiltersAsSent()
    {
        List("source=google&medium=cpc&campaign=spring_2026&search=100%25_off").Filter.Should().Be(
            LeadFilter.None with { Source = "google", Medium = "cpc", Campaign = "spring_2026", Search = "100%_off" });
        List("source=Google%20Ads%20%C3%A9t%C3%A9&search=John%20Smith").Filter.Should().Be(
            LeadFilter.None with { Source = "Google Ads été", Search = "John Smith" });
    }

    [Test]
    public void ShouldAcceptTextAtItsMaximumLength()
    {
        var search = new string('b', 200);

        List($"source={Long255}&medium={Long255}&campaign={Long255}&search={search}").Filter.Should().Be(
            LeadFilter.None with { Source = Long255, Medium = Long255, Campaign = Long255, Search = search });
    }

    [TestCase("from=2026-01-01T00:00:00Z", "2026-01-01T00:00:00.0000000Z", null)]
    [TestCase("from=2026-01-01t00:00:00z", "2026-01-01T00:00:00.0000000Z", null)]
    [TestCase("from=2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.1234567Z", null)]
    [TestCase("from=2026-01-01T00:00:00%2B02:00&to=2026-01-01T00:00:00-05:30", "2025-12-31T22:00:00.0000000Z", "2026-01-01T05:30:00.0000000Z")]
    [TestCase("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "2026-01-01T00:00:00.0000000Z", "2026-01-01T00:00:00.0000000Z")]
    [TestCase("from=2026-01-01T01:00:00%2B02:00&to=2026-01-01T00:00:00Z", "2025-12-31T23:00:00.0000000Z", "2026-01-01T00:00:00.0000000Z")]
    [TestCase("to=2026-01-01T00:00:00%2B01:00", null, "2025-12-31T23:00:00.0000000Z")]
    public void ShouldTakeTimestampsAsUtcInstants(string query, string? from, string? to)
    {
        var filter = List(query).Filter;

        filter.Should().Be(LeadFilter.None with { From = Utc(from), To = Utc(to) });
        filter.From?.Kind.Should().Be(DateTimeKind.Utc);
        filter.To?.Kind.Should().Be(DateTimeKind.Utc);
    }

    [TestCase("status_stage_id=7c9e6679-7425-40de-944b-e07fc1f90ae7")]
    [TestCase("status_stage_id=7C9E6679-7425-40DE-944B-E07FC1F90AE7")]
    public void ShouldTakeAStatusStageIdInEitherCase(string query) =>
        List(query).Filter.Should().Be(LeadFilter.None with { StatusStageId = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7") });

    [Test]
    public void ShouldLeaveTheCursorToThePlannerAsSent()
    {
        var parsed = List("cursor=anything-the-planner-will-judge&limit=3");

        parsed.Cursor.Should().Be("anything-the-planner-will-judge");
        parsed.Limit.Should().Be(3);
        parsed.Filter.Should().Be(LeadFilter.None);
    }

    [TestCase("", 10000)]
    [TestCase("limit=10000", 10000)]
    [TestCase("limit=1", 1)]
    public void ShouldLetExportTakeUpTo10000RowsByDefault(string query, int limit)
    {
        var parsed = LeadQuery.Parse(new ExportLeadsQuery(LeadQueryRequests.Parse(query)));

        parsed.Limit.Should().Be(limit);
        parsed.Kind.Should().Be(CursorKind.Leads);
    }

    [TestCase("limit=10001")]
    [TestCase("limit=0")]
    public void ShouldRejectAnExportLimitOutside1To10000(string query)
    {
        var exception = Reject(() => LeadQuery.Parse(new ExportLeadsQuery(LeadQueryRequests.Parse(query))));

        exception.Errors.Should().ContainSingle().Which.Should().Be(new ParameterError("limit", "limit must be between 1 and 10000."));
    }

    [Test]
    public void ShouldPageDeletionsWithTheirOwnLimitsAndCursorKind()
    {
        var parsed = LeadQuery.Parse(new ListDeletionsQuery(LeadQueryRequests.Parse("from=2026-01-01T00:00:00Z")));

        parsed.Limit.Should().Be(100);
        parsed.Kind.Should().Be(CursorKind.Deletions);
        parsed.Filter.Should().Be(LeadFilter.None with { From = Utc("2026-01-01T00:00:00Z") });
        Reject(() => LeadQuery.Parse(new ListDeletionsQuery(LeadQueryRequests.Parse("limit=1001"))))
            .Errors.Should().ContainSingle().Which.Message.Should().Be("limit must be between 1 and 1000.");
    }

    [TestCase("limit=0")]
    [TestCase("limit=201")]
    [TestCase("limit=-1")]
    [TestCase("limit=%2B5")]
    [TestCase("limit=%205")]
    [TestCase("limit=abc")]
    [TestCase("limit=1.5")]
    [TestCase("limit=1e2")]
    [TestCase("limit=0x10")]
    [TestCase("limit=")]
    [TestCase("limit=99999999999999999999")]
    [TestCase("limit=%EF%BC%95")] // a full-width digit five
    [TestCase("from=")]
    [TestCase("from=garbage")]
    [TestCase("from=2026-01-01")]
    [TestCase("from=2026-01-01T00:00:00")]
    [TestCase("from=2026-01-01T00:00:00.000")]
    [TestCase("from=2026-01-01%2000:00:00Z")]
    [TestCase("from=2026-13-01T00:00:00Z")]
    [TestCase("from=2026-02-30T00:00:00Z")]
    [TestCase("from=2026-01-01T24:00:00Z")]
    [TestCase("from=2026-01-01T00:00:00%2B2:00")]
    [TestCase("from=2026-01-01T00:00:00%2B0200")]
    [TestCase("from=2026-01-01T00:00:00%2B15:00")]
    [TestCase("from=2026-01-01T00:00:00.12345678Z")]
    [TestCase("from=1767225600")]
    [TestCase("from=Thu,%2001%20Jan%202026%2000:00:00%20GMT")]
    [TestCase("to=")]
    [TestCase("to=2026-01-01T00:00:00")]
    [TestCase("to=yesterday")]
    [TestCase("status_stage_id=")]
    [TestCase("status_stage_id=abc")]
    [TestCase("status_stage_id=7c9e6679742540de944be07fc1f90ae7")]
    [TestCase("status_stage_id=%7B7c9e6679-7425-40de-944b-e07fc1f90ae7%7D")]
    [TestCase("status_stage_id=7c9e6679-7425-40de-944b-e07fc1f90ae")]
    [TestCase("status_stage_id=%207c9e6679-7425-40de-944b-e07fc1f90ae7")]
    [TestCase("status_stage_id=7c9e6679-7425-40de-944b-e07fc1f90ae7%0A")]
    [TestCase("source=")]
    [TestCase("source=a%00b")]
    [TestCase("source=tab%09")]
    [TestCase("medium=")]
    [TestCase("medium=line%0Abreak")]
    [TestCase("campaign=")]
    [TestCase("search=")]
    [TestCase("search=a")]
    [TestCase("search=ab")]
    [TestCase("search=ab%0D")]
    public void ShouldRejectAnInvalidValueNamingItsParameter(string query)
    {
        var name = query[..query.IndexOf('=', StringComparison.Ordinal)];

        var exception = RejectList(query);

        var error = exception.Errors.Should().ContainSingle().Which;
        error.Param.Should().Be(name);
        error.Code.Should().Be("invalid_request");
        error.Message.Should().StartWith(name);
        exception.Code.Should().Be("invalid_request");
    }

    [TestCase("source")]
    [TestCase("medium")]
    [TestCase("campaign")]
    public void ShouldRejectTextLongerThan255Characters(string name) =>
        RejectList($"{name}={Long256}").Errors.Should().ContainSingle().Which.Should().Be(
            new ParameterError(name, $"{name} must be between 1 and 255 characters."));

    [Test]
    public void ShouldRejectASearchLongerThan200Characters() =>
        RejectList($"search={new string('b', 201)}").Errors.Should().ContainSingle().Which.Should().Be(
            new ParameterError("search", "search must be between 3 and 200 characters."));

    [Test]
    public void ShouldRejectFromAfterToNamingFrom() =>
        RejectList("from=2026-02-01T00:00:00Z&to=2026-01-31T23:59:59.999Z").Errors.Should().ContainSingle().Which.Should().Be(
            new ParameterError("from", "from must not be after to."));

    [Test]
    public void ShouldCompareFromAndToAsInstantsWhateverTheirOffsets()
    {
        // 00:30+01:00 is 23:30Z of the day before, after 23:00Z.
        RejectList("from=2026-01-01T00:30:00%2B01:00&to=2025-12-31T23:00:00Z").Errors.Should().ContainSingle()
            .Which.Param.Should().Be("from");
    }

    [Test]
    public void ShouldRejectAnEmptyCursorAsInvalidCursor()
    {
        var exception = RejectList("cursor=");

        exception.Code.Should().Be("invalid_cursor");
        exception.Errors.Should().ContainSingle().Which.Should().Be(new ParameterError(
            "cursor", "cursor must be a cursor exactly as a list or export response returned it.", "invalid_cursor"));
    }

    [Test]
    public void ShouldRejectACursorLongerThanAnyCursorIssued()
    {
        var exception = RejectList($"cursor={new string('A', LeadCursorProtector.MaxLength + 1)}");

        exception.Code.Should().Be("invalid_cursor");
        exception.Errors.Should().ContainSingle().Which.Param.Should().Be("cursor");
    }

    [Test]
    public void ShouldTakeACursorOfTheLongestLengthIssued()
    {
        var cursor = new string('A', LeadCursorProtector.MaxLength);

        List($"cursor={cursor}").Cursor.Should().Be(cursor);
    }

    [TestCase("foo=1", "foo")]
    [TestCase("page=2", "page")]
    [TestCase("offset=100", "offset")]
    [TestCase("Limit=5", "Limit")]
    [TestCase("source_=google", "source_")]
    [TestCase("status-stage-id=7c9e6679-7425-40de-944b-e07fc1f90ae7", "status-stage-id")]
    public void ShouldRejectAnUnknownParameterNamingIt(string query, string name)
    {
        var exception = RejectList(query);

        exception.Code.Should().Be("unknown_parameter");
        exception.Errors.Should().ContainSingle().Which.Should().Be(
            new ParameterError(name, $"Unknown query parameter '{name}'.", "unknown_parameter"));
    }

    [Test]
    public void ShouldNameAnUnknownParameterByItsFirst64Characters()
    {
        var name = new string('x', 100);

        RejectList($"{name}=1").Errors.Should().ContainSingle().Which.Param.Should().Be(new string('x', 64) + "…");
    }

    [Test]
    public void ShouldRejectTheLeadFiltersOnTheDeletionsFeed()
    {
        var exception = Reject(() => LeadQuery.Parse(new ListDeletionsQuery(
            LeadQueryRequests.Parse("source=google&search=smith", ListDeletionsQuery.ParameterNames))));

        exception.Errors.Select(e => e.Param).Should().Equal("source", "search");
        exception.Code.Should().Be("unknown_parameter");
    }

    [TestCase("source=google&source=facebook", "source")]
    [TestCase("limit=5&limit=5", "limit")]
    [TestCase("cursor=a&cursor=b", "cursor")]
    [TestCase("from=2026-01-01T00:00:00Z&FROM=2026-01-02T00:00:00Z", "from")]
    public void ShouldRejectARepeatedParameterNamingIt(string query, string name)
    {
        var exception = RejectList(query);

        exception.Code.Should().Be("invalid_request");
        exception.Errors.Should().ContainSingle().Which.Should().Be(new ParameterError(name, $"{name} must be given at most once."));
    }

    [Test]
    public void ShouldListEveryViolationAtOnceInTheOrderOfTheRules()
    {
        var exception = RejectList(
            "limit=0&from=bad&to=2026-01-01&status_stage_id=x&source=&search=" + new string('s', 201) + "&foo=1&medium=a&medium=b");

        // The first is the response's `param`: unknown and repeated names first, then the parameters in the table's order.
        exception.Errors.Select(e => e.Param).Should().Equal("foo", "medium", "source", "search", "from", "to", "status_stage_id", "limit");
        exception.Code.Should().Be("unknown_parameter", "an unknown parameter is the most specific problem");
        exception.Errors.Should().OnlyContain(e => e.Message.StartsWith(e.Param, StringComparison.Ordinal) || e.Param == "foo");
    }

    [Test]
    public void ShouldReportBothProblemsOfOneValue() =>
        RejectList("campaign=" + new string('a', 255) + "%0A").Errors.Select(e => e.Message).Should().Equal(
            "campaign must be between 1 and 255 characters.", "campaign must not contain control characters.");

    private static LeadQuery List(string query) => LeadQuery.Parse(new ListLeadsQuery(LeadQueryRequests.Parse(query)));

    private static RequestValidationException RejectList(string query) => Reject(() => List(query));

    private static RequestValidationException Reject(Func<LeadQuery> parse) =>
        parse.Should().Throw<RequestValidationException>().Which;

    private static DateTime? Utc(string? text) =>
        text is null ? null : DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
}
