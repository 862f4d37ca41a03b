using RoofKit.Application.Common.Behaviours;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListLeads;

namespace RoofKit.Application.Tests.Leads.Common;

/// <summary>The rules of CONTRACT.md §6, run through the validation behaviour as the pipeline runs them.</summary>
public sealed class LeadQueryValidatorTests
{
    private static readonly string Long255 = new('a', 255);
    private static readonly string Long256 = new('a', 256);

    [TestCase("")]
    [TestCase("limit=1")]
    [TestCase("limit=200")]
    [TestCase("limit=007")]
    [TestCase("source=google&medium=cpc&campaign=spring_2026")]
    [TestCase("source=Google%20Ads%20%C3%A9t%C3%A9")]
    [TestCase("from=2026-01-01T00:00:00Z")]
    [TestCase("from=2026-01-01t00:00:00z")]
    [TestCase("from=2026-01-01T00:00:00.1234567Z")]
    [TestCase("from=2026-01-01T00:00:00%2B02:00&to=2026-01-01T00:00:00-05:30")]
    [TestCase("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [TestCase("from=2026-01-01T01:00:00%2B02:00&to=2026-01-01T00:00:00Z")]
    [TestCase("status_stage_id=7c9e6679-7425-40de-944b-e07fc1f90ae7")]
    [TestCase("status_stage_id=7C9E6679-7425-40DE-944B-E07FC1F90AE7")]
    [TestCase("search=abc")]
    [TestCase("search=John%20Smith")]
    [TestCase("search=100%25_off")]
    [TestCase("cursor=anything-the-planner-will-judge")]
    public async Task ShouldAcceptAValidQuery(string query) => await ListAsync(query);

    [Test]
    public async Task ShouldAcceptTextAtItsMaximumLength()
    {
        await ListAsync($"source={Long255}&medium={Long255}&campaign={Long255}&search={new string('b', 200)}");
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
    public async Task ShouldRejectAnInvalidValueNamingItsParameter(string query)
    {
        var name = query[..query.IndexOf('=', StringComparison.Ordinal)];

        var errors = await RejectedAsync(query);

        var error = errors.Should().ContainSingle().Which;
        error.Param.Should().Be(name);
        error.Code.Should().Be("invalid_request");
        error.Message.Should().StartWith(name);
    }

    [TestCase("source")]
    [TestCase("medium")]
    [TestCase("campaign")]
    public async Task ShouldRejectTextLongerThan255Characters(string name)
    {
        var errors = await RejectedAsync($"{name}={Long256}");

        errors.Should().ContainSingle().Which.Param.Should().Be(name);
    }

    [Test]
    public async Task ShouldRejectASearchLongerThan200Characters()
    {
        var errors = await RejectedAsync($"search={new string('b', 201)}");

        errors.Should().ContainSingle().Which.Param.Should().Be("search");
    }

    [Test]
    public async Task ShouldRejectFromAfterToNamingFrom()
    {
        var errors = await RejectedAsync("from=2026-02-01T00:00:00Z&to=2026-01-31T23:59:59.999Z");

        errors.Should().ContainSingle().Which.Param.Should().Be("from");
    }

    [Test]
    public async Task ShouldCompareFromAndToAsInstantsWhateverTheirOffsets()
    {
        // 00:30+01:00 is 23:30Z of the day before, after 23:00Z.
        var errors = await RejectedAsync("from=2026-01-01T00:30:00%2B01:00&to=2025-12-31T23:00:00Z");

        errors.Should().ContainSingle().Which.Param.Should().Be("from");
    }

    [TestCase("cursor=")]
    public async Task ShouldRejectAnEmptyCursorAsInvalidCursor(string query)
    {
        var exception = await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse(query)));

        exception.Code.Should().Be("invalid_cursor");
        exception.Errors.Should().ContainSingle().Which.Param.Should().Be("cursor");
    }

    [Test]
    public async Task ShouldRejectACursorLongerThanAnyCursorIssued()
    {
        var exception = await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse($"cursor={new string('A', LeadCursorProtector.MaxLength + 1)}")));

        exception.Code.Should().Be("invalid_cursor");
        exception.Errors.Should().ContainSingle().Which.Param.Should().Be("cursor");
    }

    [TestCase("foo=1", "foo")]
    [TestCase("page=2", "page")]
    [TestCase("offset=100", "offset")]
    [TestCase("Limit=5", "Limit")]
    [TestCase("source_=google", "source_")]
    [TestCase("status-stage-id=7c9e6679-7425-40de-944b-e07fc1f90ae7", "status-stage-id")]
    public async Task ShouldRejectAnUnknownParameterNamingIt(string query, string name)
    {
        var exception = await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse(query)));

        exception.Code.Should().Be("unknown_parameter");
        exception.Errors.Should().ContainSingle().Which.Should().Be(
            new ParameterError(name, $"Unknown query parameter '{name}'.", "unknown_parameter"));
    }

    [TestCase("source=google&source=facebook", "source")]
    [TestCase("limit=5&limit=5", "limit")]
    [TestCase("cursor=a&cursor=b", "cursor")]
    [TestCase("from=2026-01-01T00:00:00Z&FROM=2026-01-02T00:00:00Z", "from")]
    public async Task ShouldRejectARepeatedParameterNamingIt(string query, string name)
    {
        var exception = await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse(query)));

        exception.Code.Should().Be("invalid_request");
        exception.Errors.Should().ContainSingle().Which.Param.Should().Be(name);
    }

    [Test]
    public async Task ShouldListEveryViolationAtOnce()
    {
        var exception = await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse(
            "limit=0&from=bad&to=2026-01-01&status_stage_id=x&source=&search=" + new string('s', 201) + "&foo=1&medium=a&medium=b")));

        exception.Errors.Select(e => e.Param).Should().BeEquivalentTo(
            ["foo", "medium", "limit", "from", "to", "status_stage_id", "source", "search"]);
        exception.Code.Should().Be("unknown_parameter", "an unknown parameter is the most specific problem");
        exception.Errors.Should().OnlyContain(e => !string.IsNullOrEmpty(e.Message));
    }

    [TestCase("limit=10000")]
    [TestCase("limit=1")]
    public async Task ShouldLetExportTakeUpTo10000Rows(string query) =>
        await Behaviour(new ExportLeadsQueryValidator()).Handle(
            new ExportLeadsQuery(LeadQueryRequests.Parse(query)), CancellationToken.None, () => Task.FromResult(true));

    [TestCase("limit=10001")]
    [TestCase("limit=0")]
    public async Task ShouldRejectAnExportLimitOutside1To10000(string query)
    {
        var act = () => Behaviour(new ExportLeadsQueryValidator()).Handle(
            new ExportLeadsQuery(LeadQueryRequests.Parse(query)), CancellationToken.None, () => Task.FromResult(true));

        (await act.Should().ThrowAsync<RequestValidationException>()).Which.Errors.Should().ContainSingle()
            .Which.Message.Should().Be("limit must be between 1 and 10000.");
    }

    private static ValidationBehaviour<TQuery, bool> Behaviour<TQuery>(LeadQueryValidator<TQuery> validator)
        where TQuery : ILeadQuery => new([validator]);

    private static async Task ListAsync(string query)
    {
        var reached = await Behaviour(new ListLeadsQueryValidator()).Handle(
            new ListLeadsQuery(LeadQueryRequests.Parse(query)), CancellationToken.None, () => Task.FromResult(true));
        reached.Should().BeTrue();
    }

    private static async Task<IReadOnlyList<ParameterError>> RejectedAsync(string query) =>
        (await RejectAsync(new ListLeadsQuery(LeadQueryRequests.Parse(query)))).Errors;

    private static async Task<RequestValidationException> RejectAsync(ListLeadsQuery query)
    {
        var act = () => Behaviour(new ListLeadsQueryValidator()).Handle(query, CancellationToken.None, () => Task.FromResult(true));
        return (await act.Should().ThrowAsync<RequestValidationException>()).Which;
    }
}
