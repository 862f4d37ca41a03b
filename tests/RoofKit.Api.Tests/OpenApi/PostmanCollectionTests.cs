using System.Text.Json.Nodes;

namespace RoofKit.Api.Tests.OpenApi;

/// <summary>
/// docs/postman covers what docs/openapi.json documents: a folder per operation (named by its operationId) with a
/// request per documented status (named after it) whose tests assert that status. newman runs it in make test.
/// </summary>
public sealed class PostmanCollectionTests
{
    private JsonNode document = null!;
    private JsonNode collection = null!;

    [OneTimeSetUp]
    public async Task LoadAsync()
    {
        var root = OpenApiDocumentTests.RepositoryRoot();
        document = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root, "docs", "openapi.json")))!;
        collection = JsonNode.Parse(await File.ReadAllTextAsync(
            Path.Combine(root, "docs", "postman", "roofkit-partner-api.postman_collection.json")))!;
    }

    [Test]
    public void ShouldHaveARequestWithATestForEveryDocumentedStatusOfEveryOperation()
    {
        var folders = collection["item"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["item"]!.AsArray());
        var missing = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var operationId = operation!["operationId"]!.GetValue<string>();
                if (!folders.TryGetValue(operationId, out var requests))
                {
                    missing.Add($"folder {operationId}");
                    continue;
                }

                foreach (var (status, _) in operation["responses"]!.AsObject())
                {
                    var covered = requests.Any(r =>
                        r!["name"]!.GetValue<string>().StartsWith(status + " ", StringComparison.Ordinal)
                        && r["request"]!["method"]!.GetValue<string>().Equals(method, StringComparison.OrdinalIgnoreCase)
                        && ("/" + string.Join('/', r["request"]!["url"]!["path"]!.AsArray().Select(p => p!.GetValue<string>()))) == path
                        && TestScript(r).Contains($"pm.response.to.have.status({status})", StringComparison.Ordinal));
                    if (!covered)
                    {
                        missing.Add($"{operationId} {status}");
                    }
                }
            }
        }

        missing.Should().BeEmpty("every documented status needs a request in docs/postman that expects it");
    }

    [Test]
    public void ShouldTestHeadersAndBodyShapeOfEveryResponseAgainstTheDocument()
    {
        var script = string.Join('\n', collection["event"]!.AsArray()
            .Where(e => e!["listen"]!.GetValue<string>() == "test")
            .SelectMany(e => e!["script"]!["exec"]!.AsArray().Select(l => l!.GetValue<string>())));

        script.Should().Contain("openapiDocument").And.Contain("pm.response.to.have.jsonSchema(")
            .And.Contain("pm.response.to.have.header(name)");
    }

    private static string TestScript(JsonNode request) =>
        string.Join('\n', request["event"]?.AsArray()
            .Where(e => e!["listen"]!.GetValue<string>() == "test")
            .SelectMany(e => e!["script"]!["exec"]!.AsArray().Select(l => l!.GetValue<string>())) ?? []);
}
