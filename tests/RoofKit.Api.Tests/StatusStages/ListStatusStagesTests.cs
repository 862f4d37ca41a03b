using System.Net;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.StatusStages;

public sealed class ListStatusStagesTests : ApiTestBase
{
    [Test]
    public async Task ShouldListTheWorkspacesStagesInOrder()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);

        var response = await Client(token).GetAsync("/api/v1/status-stages");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var data = (await JsonAsync(response)).GetProperty("data").EnumerateArray().ToList();
        data.Select(s => s.GetProperty("name").GetString()).Should()
            .Equal("New", "Contacted", "Inspection scheduled", "Estimate sent", "Won", "Lost");
        data.Select(s => s.GetProperty("position").GetInt32()).Should().BeInAscendingOrder();
        data.Select(s => s.GetProperty("kind").GetString()).Should().Equal("open", "open", "open", "open", "won", "lost");
    }

    [Test]
    public async Task ShouldNeverShowAnotherWorkspacesStages()
    {
        var a = await Data.WorkspaceAsync();
        var b = await Data.WorkspaceAsync();
        var (_, tokenA) = await Data.KeyAsync(a.Id);
        var stagesB = (await Data.StagesAsync(b.Id)).Select(s => s.Id.ToString()).ToList();

        var data = (await JsonAsync(await Client(tokenA).GetAsync("/api/v1/status-stages"))).GetProperty("data").EnumerateArray().ToList();

        var ids = data.Select(s => s.GetProperty("id").GetString()).ToList();
        ids.Should().HaveCount(6).And.NotIntersectWith(stagesB);
        ids.Should().BeEquivalentTo((await Data.StagesAsync(a.Id)).Select(s => s.Id.ToString()));
    }
}
