using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;

namespace RoofKit.Api.Tests.Authentication;

public sealed class AuthorizationTests : ApiTestBase
{
    [Test]
    public async Task ShouldReturn403InsufficientScopeForExportWithAReadOnlyKey()
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id, Scopes.LeadsRead);

        var response = await Client(token).GetAsync("/api/v1/leads/export");

        await ErrorAsync(response, 403, "insufficient_scope");
        response.Headers.WwwAuthenticate.ToString()
            .Should().Be("Bearer realm=\"RoofKit Partner API\", error=\"insufficient_scope\", scope=\"leads.export\"");
    }

    [TestCase("/api/v1/leads")]
    [TestCase("/api/v1/status-stages")]
    public async Task ShouldReturn403InsufficientScopeForReadWithAnExportOnlyKey(string path)
    {
        var workspace = await Data.WorkspaceAsync();
        var (_, token) = await Data.KeyAsync(workspace.Id, Scopes.LeadsExport);

        var response = await Client(token).GetAsync(path);

        await ErrorAsync(response, 403, "insufficient_scope");
        response.Headers.WwwAuthenticate.ToString().Should().Contain("scope=\"leads.read\"");
    }

    [TestCase(WorkspaceStatus.Suspended)]
    [TestCase(WorkspaceStatus.Closed)]
    public async Task ShouldReturn403WorkspaceInactiveForAKeyOfAnInactiveWorkspace(WorkspaceStatus status)
    {
        var workspace = await Data.WorkspaceAsync(status);
        var (_, token) = await Data.KeyAsync(workspace.Id);

        foreach (var path in new[] { "/api/v1/leads", "/api/v1/leads/export", "/api/v1/status-stages" })
        {
            await ErrorAsync(await Client(token).GetAsync(path), 403, "workspace_inactive");
        }
    }
}
