using RoofKit.Api.Tests.Support;
using static RoofKit.Api.Tests.Leads.ListLeadsApi;

namespace RoofKit.Api.Tests.Leads;

/// <summary><c>from</c> and <c>to</c> as partners type them into a URL (CONTRACT.md §6).</summary>
public sealed class TimestampParameterTests : ApiTestBase
{
    [Test]
    public async Task ShouldReadAnUnescapedPlusInTheOffsetAsAPlus()
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var (_, token) = await Data.KeyAsync(workspace, "leads.read");
        var client = Client(token);
        var before = await Data.LeadAsync(workspace, new DateTime(2026, 11, 27, 10, 14, 59, DateTimeKind.Utc));
        var after = await Data.LeadAsync(workspace, new DateTime(2026, 11, 27, 10, 15, 0, DateTimeKind.Utc));

        // '+' unescaped: the query string decodes it to a space.
        var typed = await PageAsync(client, "from=2026-11-27T12:15:00+02:00");
        var escaped = await PageAsync(client, "from=2026-11-27T12:15:00%2B02:00");

        typed.Ids.Should().Equal(after).And.Equal(escaped.Ids);
        typed.Ids.Should().NotContain(before);
    }

    [Test]
    public async Task ShouldShowAnAcceptedExampleWhenATimestampIsRefused()
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        var (_, token) = await Data.KeyAsync(workspace, "leads.read");

        var error = await ErrorAsync(await Client(token).GetAsync("/api/v1/leads?from=27.11.2026"), 400, "invalid_request");

        error.GetProperty("param").GetString().Should().Be("from");
        error.GetProperty("message").GetString().Should()
            .Contain("2026-11-27T10:15:00Z").And.Contain("2026-11-27T12:15:00+02:00").And.Contain("%2B");
    }
}
