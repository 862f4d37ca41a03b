using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Tests.Leads.Common;

public sealed class LeadFilterTests
{
    private static readonly Guid Stage = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    private static readonly LeadFilter CursorFilter = new(
        "google", "cpc", null,
        new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), null, Stage, "smith");

    [TestCase("2026-11-27T10:15:00Z", "2026-11-27T10:15:00.0000000Z")]
    [TestCase("2026-11-27T10:15:00.123Z", "2026-11-27T10:15:00.1230000Z")]
    [TestCase("2026-11-27T10:15:00.1234567Z", "2026-11-27T10:15:00.1234567Z")]
    [TestCase("2026-11-27T12:15:00+02:00", "2026-11-27T10:15:00.0000000Z")]
    [TestCase("2026-11-27T05:15:00-05:00", "2026-11-27T10:15:00.0000000Z")]
    [TestCase("2026-11-27t10:15:00z", "2026-11-27T10:15:00.0000000Z")]
    [TestCase("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.0000000Z")]
    // A '+' typed unescaped into a URL arrives as a space: in the offset's place it can only have been a '+'.
    [TestCase("2026-11-27T12:15:00 02:00", "2026-11-27T10:15:00.0000000Z")]
    [TestCase("2026-11-27T12:15:00.250 02:00", "2026-11-27T10:15:00.2500000Z")]
    public void ShouldParseRfc3339WithAnOffsetToUtc(string text, string utc)
    {
        LeadFilter.TryParseTimestamp(text, out var parsed).Should().BeTrue();

        parsed.Kind.Should().Be(DateTimeKind.Utc);
        parsed.ToString("O", System.Globalization.CultureInfo.InvariantCulture).Should().Be(utc);
    }

    [TestCase("2026-11-27T10:15:00")]
    [TestCase("2026-11-27")]
    [TestCase("2026-11-27T10:15Z")]
    [TestCase("2026-11-27 10:15:00Z")]
    [TestCase("2026-11-27T10:15:00+0200")]
    [TestCase("2026-11-27T10:15:00 +02:00")]
    [TestCase("2026-11-27T10:15:00.Z")]
    [TestCase("0001-01-01T00:00:00+01:00")]
    [TestCase("9999-12-31T23:59:59-01:00")]
    [TestCase("２０２６-11-27T10:15:00Z")]
    [TestCase("")]
    public void ShouldRefuseAnythingElse(string text) =>
        LeadFilter.TryParseTimestamp(text, out _).Should().BeFalse();

    [Test]
    public void ShouldNotConflictWhenTheRequestLeavesTheFiltersOut() =>
        LeadFilter.None.ConflictsWith(CursorFilter).Should().BeFalse();

    [Test]
    public void ShouldNotConflictWhenTheRequestRepeatsTheFilters() =>
        CursorFilter.ConflictsWith(CursorFilter).Should().BeFalse();

    [Test]
    public void ShouldNotConflictWhenTheRequestRepeatsAFilterInAnotherCaseOrOffset()
    {
        LeadFilter.TryParseTimestamp("2026-01-01T02:00:00+02:00", out var from).Should().BeTrue();
        var repeated = LeadFilter.None with { Source = "GOOGLE", Search = "Smith", From = from };

        repeated.ConflictsWith(CursorFilter).Should().BeFalse();
    }

    [Test]
    public void ShouldConflictWhenAnyGivenFilterDiffers()
    {
        var variants = new[]
        {
            LeadFilter.None with { Source = "facebook" },
            LeadFilter.None with { Medium = "organic" },
            LeadFilter.None with { Campaign = "spring" },
            LeadFilter.None with { From = new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc) },
            LeadFilter.None with { To = new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc) },
            LeadFilter.None with { StatusStageId = Guid.NewGuid() },
            LeadFilter.None with { Search = "smit" },
            CursorFilter with { Search = "jones" },
        };

        variants.Should().OnlyContain(v => v.ConflictsWith(CursorFilter));
    }

    [Test]
    public void ShouldSortOutUnknownAndRepeatedParameters()
    {
        var parameters = LeadQueryParameters.FromQuery(
        [
            new("source", ["google"]),
            new("limit", ["5", "6"]),
            new("page", ["2"]),
            new("search", ["roof"]),
        ]);

        parameters.Source.Should().Be("google");
        parameters.Search.Should().Be("roof");
        parameters.Limit.Should().BeNull();
        parameters.RepeatedParameters.Should().Equal("limit");
        parameters.UnknownParameters.Should().Equal("page");
    }
}
