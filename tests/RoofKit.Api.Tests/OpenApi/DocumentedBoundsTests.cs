using Dapper;
using RoofKit.Api.Errors;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;
using RoofKit.Infrastructure.Workspaces;

namespace RoofKit.Api.Tests.OpenApi;

/// <summary>
/// The <c>maxItems</c> of the document's arrays that no query parameter bounds, held by the API: an error lists at
/// most <see cref="ErrorBody.MaxDetails"/> problems, the stage list at most <see cref="StatusStageList.MaxStages"/> stages.
/// </summary>
public sealed class DocumentedBoundsTests : ApiTestBase
{
    [Test]
    public async Task ShouldListAtMostTheDocumentedNumberOfProblems()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id);
        var unknown = string.Join('&', Enumerable.Range(0, ErrorBody.MaxDetails + 10).Select(i => $"u{i}=1"));

        var error = await ErrorAsync(await Client(token).GetAsync($"/api/v1/leads?{unknown}"), 400, "unknown_parameter");

        error.GetProperty("details").GetArrayLength().Should().Be(ErrorBody.MaxDetails);
        error.GetProperty("details")[0].GetProperty("param").GetString().Should().Be("u0");
    }

    [Test]
    public async Task ShouldListAtMostTheDocumentedNumberOfStagesTheFirstByPosition()
    {
        var workspace = await new WorkspaceAdmin(Db).CreateAsync($"st-{Guid.NewGuid():N}"[..20], "Many Stages Roofing", CancellationToken.None);
        var (_, token) = await Data.KeyAsync(workspace.Id);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO status_stages (id, workspace_id, name, position, kind)
                SELECT gen_random_uuid(), @workspace, 'Stage ' || p, p, 'open' FROM generate_series(1, @count) AS p
                """, new { workspace = workspace.Id, count = StatusStageList.MaxStages + 1 });
        }

        var stages = (await JsonAsync(await Client(token).GetAsync("/api/v1/status-stages"))).GetProperty("data");

        stages.GetArrayLength().Should().Be(StatusStageList.MaxStages);
        stages.EnumerateArray().Select(s => s.GetProperty("position").GetInt32())
            .Should().Equal(Enumerable.Range(1, StatusStageList.MaxStages));
    }
}
