using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RoofKit.Api.OpenApi;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListLeads;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;

namespace RoofKit.Api.Tests.OpenApi;

/// <summary>
/// The served OpenAPI document (/openapi/v1.json) against its committed copy, docs/openapi.json, and against what
/// SDK generators and Postman need from it. Regenerate the copy with `make openapi` (UPDATE_OPENAPI=1).
/// </summary>
public sealed class OpenApiDocumentTests : ApiTestBase
{
    private static readonly string[] LeadStatuses = ["200", "400", "401", "403", "429", "500", "503"];
    private static readonly string[] RateLimitHeaders = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];

    private JsonNode served = null!;
    private string servedText = "";

    protected override async Task OneTimeSetUpAsync()
    {
        var response = await Client().GetAsync("/openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        servedText = await response.Content.ReadAsStringAsync();
        served = JsonNode.Parse(servedText)!;
    }

    [Test]
    public async Task ShouldServeTheCommittedDocument()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, servedText.ReplaceLineEndings("\n").TrimEnd() + "\n");
            TestContext.Out.WriteLine($"UPDATE_OPENAPI=1: wrote {path}");
        }

        File.Exists(path).Should().BeTrue($"{path} is the committed copy of /openapi/v1.json");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        var difference = FirstDifference(committed, served, "$");
        difference.Should().BeNull(
            "docs/openapi.json must equal the served document; run `make openapi` to regenerate it, and review the diff");
    }

    [Test]
    public void ShouldHaveStableOperationIds()
    {
        Operation("/api/v1/leads")["operationId"]!.GetValue<string>().Should().Be("listLeads");
        Operation("/api/v1/leads/export")["operationId"]!.GetValue<string>().Should().Be("exportLeads");
        Operation("/api/v1/status-stages")["operationId"]!.GetValue<string>().Should().Be("listStatusStages");
    }

    [TestCase("/api/v1/leads")]
    [TestCase("/api/v1/leads/export")]
    public void ShouldDocumentEveryStatusOfTheExportPageWithItsHeaders(string path)
    {
        var responses = Operation(path)["responses"]!.AsObject();
        responses.Select(r => r.Key).Should().BeEquivalentTo(LeadStatuses);
        HeaderNames(responses["200"]!).Should().Contain([.. RateLimitHeaders, "X-Sync-Watermark", "X-Request-Id"]);
        HeaderNames(responses["400"]!).Should().Contain([.. RateLimitHeaders, "X-Request-Id"]);
        HeaderNames(responses["401"]!).Should().Contain(["WWW-Authenticate", "X-Request-Id"]);
        HeaderNames(responses["403"]!).Should().Contain(["WWW-Authenticate", "X-Request-Id"]);
        HeaderNames(responses["429"]!).Should().Contain([.. RateLimitHeaders, "Retry-After", "X-Request-Id"]);
        HeaderNames(responses["500"]!).Should().Contain("X-Request-Id");
        foreach (var status in LeadStatuses.Skip(1))
        {
            responses[status]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>()
                .Should().Be("#/components/schemas/ErrorResponse", $"{status} answers an ErrorResponse");
        }
    }

    [Test]
    public void ShouldDescribeTheExportAsCsvWithItsSegmentHeaders()
    {
        var ok = Operation("/api/v1/leads/export")["responses"]!["200"]!;
        var content = ok["content"]!.AsObject();
        content.Select(c => c.Key).Should().Equal("text/csv");
        content["text/csv"]!["schema"]!["type"]!.GetValue<string>().Should().Be("string");
        HeaderNames(ok).Should().Contain(["Content-Disposition", "X-Export-Truncated", "X-Export-Next-Cursor", "X-Export-Row-Count", "Link"]);
        ok["description"]!.GetValue<string>().Should().Be("CSV export.");
    }

    [Test]
    public void ShouldRequireABearerKeyWithTheScopeEachRequestEnforces()
    {
        var scheme = served["components"]!["securitySchemes"]!["ApiKey"]!;
        scheme["type"]!.GetValue<string>().Should().Be("http");
        scheme["scheme"]!.GetValue<string>().Should().Be("bearer");

        foreach (var (path, request) in new[]
                 {
                     ("/api/v1/leads", typeof(ListLeadsQuery)),
                     ("/api/v1/leads/export", typeof(ExportLeadsQuery)),
                     ("/api/v1/status-stages", typeof(ListStatusStagesQuery)),
                 })
        {
            var operation = Operation(path);
            operation["security"]!.ToJsonString().Should().Be("""[{"ApiKey":[]}]""");
            var scope = request.GetCustomAttribute<RequiresScopeAttribute>()!.Scope;
            operation["x-scopes"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal(scope);
            operation["description"]!.GetValue<string>().Should().Contain($"Scope: `{scope}`");
        }

        Operation("/healthz")["security"]!.AsArray().Should().BeEmpty("the health check needs no key");
    }

    [TestCase("/api/v1/leads", 50, 200)]
    [TestCase("/api/v1/leads/export", 10_000, 10_000)]
    public void ShouldDescribeTheNineQueryParametersWithTheirBounds(string path, int defaultLimit, int maxLimit)
    {
        var parameters = Operation(path)["parameters"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!);
        parameters.Keys.Should().Equal("source", "medium", "campaign", "from", "to", "status_stage_id", "search", "cursor", "limit");
        parameters.Values.Should().OnlyContain(p => p["in"]!.GetValue<string>() == "query" && p["description"] != null);
        foreach (var name in new[] { "source", "medium", "campaign" })
        {
            parameters[name]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(255);
        }

        parameters["from"]["schema"]!["format"]!.GetValue<string>().Should().Be("date-time");
        parameters["from"]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(33, "2026-11-27T10:15:00.1234567+02:00");
        parameters["to"]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(33);
        parameters["status_stage_id"]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(36);
        parameters["cursor"]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(16 * 1024);
        parameters["from"]["description"]!.GetValue<string>().Should().StartWith("Inclusive updated_at lower bound for incremental sync.");
        parameters["to"]["schema"]!["format"]!.GetValue<string>().Should().Be("date-time");
        parameters["status_stage_id"]["schema"]!["format"]!.GetValue<string>().Should().Be("uuid");
        parameters["search"]["schema"]!["minLength"]!.GetValue<int>().Should().Be(3);
        parameters["search"]["schema"]!["maxLength"]!.GetValue<int>().Should().Be(200);
        parameters["cursor"]["description"]!.GetValue<string>().Should().StartWith(
            "Opaque cursor returned by list/export responses. Send it back unchanged; malformed cursors return 400.");
        var limit = parameters["limit"]["schema"]!;
        limit["type"]!.GetValue<string>().Should().Be("integer");
        limit["minimum"]!.GetValue<decimal>().Should().Be(1);
        limit["maximum"]!.GetValue<decimal>().Should().Be(maxLimit);
        limit["default"]!.GetValue<int>().Should().Be(defaultLimit);
    }

    [Test]
    public void ShouldNameFieldsInSnakeCaseAndMarkNullsNullable()
    {
        var lead = Schema("Lead");
        var properties = lead["properties"]!.AsObject();
        properties.Select(p => p.Key).Should().Equal(
            "id", "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code",
            "source", "medium", "campaign", "status_stage_id", "status_stage_name", "notes", "created_at", "updated_at");
        lead["required"]!.AsArray().Should().HaveCount(17, "every field is always written, null or not");
        foreach (var (name, property) in properties)
        {
            var nullable = property!["nullable"]?.GetValue<bool>() ?? false;
            nullable.Should().Be(name is not ("id" or "created_at" or "updated_at"), $"{name} is null exactly when it may be");
        }

        properties["status_stage_id"]!["format"]!.GetValue<string>().Should().Be("uuid");
        var page = Schema("LeadPage")["properties"]!;
        page["next_cursor"]!["nullable"]!.GetValue<bool>().Should().BeTrue();
        page["has_more"]!["type"]!.GetValue<string>().Should().Be("boolean");
        Schema("StatusStage")["properties"]!["kind"]!["enum"]!.AsArray().Select(k => k!.GetValue<string>())
            .Should().Equal("open", "won", "lost");
        Schema("ErrorBody")["required"]!.AsArray().Select(r => r!.GetValue<string>()).Should().Equal("code", "message", "request_id");
    }

    [Test]
    public void ShouldGiveGeneratedClientsAnAbsoluteServer()
    {
        served["servers"]!.AsArray().Select(s => s!["url"]!.GetValue<string>()).Should().Equal("http://127.0.0.1:5080");
    }

    [TestCase(null, "http://127.0.0.1:5080")]
    [TestCase("", "http://127.0.0.1:5080")]
    [TestCase("https://api.roofkit.example/", "https://api.roofkit.example")]
    [TestCase("https://gateway.example/roofkit", "https://gateway.example/roofkit")]
    public void ShouldTakeTheServerFromApiPublicBaseUrl(string? setting, string server)
    {
        OpenApiSetup.PublicBaseUrl(Configuration(setting)).Should().Be(server);
    }

    [TestCase("api.roofkit.example")]
    [TestCase("/relative")]
    [TestCase("ftp://api.roofkit.example")]
    [TestCase("https://api.roofkit.example/?tenant=1")]
    public void ShouldRefuseAnApiPublicBaseUrlThatIsNoAbsoluteHttpUrl(string setting)
    {
        var act = () => OpenApiSetup.PublicBaseUrl(Configuration(setting));

        act.Should().Throw<InvalidOperationException>().WithMessage("Api:PublicBaseUrl must be an absolute http or https URL*");
    }

    [Test]
    public void ShouldGiveEveryIntegerAFormatAndBoundsAndEveryArrayItsMaxItems()
    {
        var schemas = SchemasIn(served).ToList();
        var integers = schemas.Where(s => s.Schema["type"]!.GetValue<string>() == "integer").ToList();
        integers.Should().HaveCountGreaterThan(10, "limit, the rate-limit headers, Retry-After, the row count and position are integers");
        foreach (var (path, schema) in integers)
        {
            schema["format"]?.GetValue<string>().Should().BeOneOf(["int32", "int64"], path);
            schema["minimum"].Should().NotBeNull(path);
            schema["maximum"].Should().NotBeNull(path);
        }

        var arrays = schemas.Where(s => s.Schema["type"]!.GetValue<string>() == "array").ToList();
        arrays.Should().HaveCount(4);
        arrays.Should().OnlyContain(a => a.Schema["maxItems"] != null);
        Schema("LeadPage")["properties"]!["data"]!["maxItems"]!.GetValue<int>().Should().Be(200);
        Schema("DeletionPage")["properties"]!["data"]!["maxItems"]!.GetValue<int>().Should().Be(1000);
        Schema("StatusStageList")["properties"]!["data"]!["maxItems"]!.GetValue<int>().Should().Be(100);
        Schema("ErrorBody")["properties"]!["details"]!["maxItems"]!.GetValue<int>().Should().Be(50);
        Schema("LeadPage")["properties"]!["next_cursor"]!["maxLength"]!.GetValue<int>().Should().Be(16 * 1024);
    }

    [Test]
    public void ShouldMarkTheErrorMessageAsTheMessageOfGeneratedExceptions()
    {
        Schema("ErrorBody")["properties"]!["message"]!["x-ms-primary-error-message"]!.GetValue<bool>().Should().BeTrue();
    }

    [Test]
    public void ShouldGiveTheExportsRateLimitExamplesTheExportsLimit()
    {
        foreach (var (path, limit) in new[] { ("/api/v1/leads", 600), ("/api/v1/leads/export", 60), ("/api/v1/status-stages", 600) })
        {
            var headers = Operation(path)["responses"]!["200"]!["headers"]!;
            headers["X-RateLimit-Limit"]!["example"]!.GetValue<int>().Should().Be(limit, path);
            headers["X-RateLimit-Remaining"]!["example"]!.GetValue<int>().Should().Be(limit - 1, path);
        }
    }

    [Test]
    public async Task ShouldServeSwaggerUiWithPersistentAuthorization()
    {
        var client = Client();
        var docs = await client.GetAsync("/docs");
        docs.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var page = await client.GetStringAsync(docs.Headers.Location!.OriginalString);
        page.Should().Contain("persistAuthorization: true").And.Contain("url=");
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RoofKit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RoofKit.sln not found above the test directory.");
    }

    private JsonNode Operation(string path) => served["paths"]![path]!["get"]!;

    private static IConfiguration Configuration(string? publicBaseUrl) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [OpenApiSetup.PublicBaseUrlSetting] = publicBaseUrl })
        .Build();

    /// <summary>Every schema of the document (parameters', headers', bodies', components'), with its JSON path.</summary>
    private static IEnumerable<(string Path, JsonObject Schema)> SchemasIn(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                if (o["type"] is JsonValue type && type.GetValueKind() == System.Text.Json.JsonValueKind.String && !path.EndsWith(".properties", StringComparison.Ordinal))
                {
                    yield return (path, o);
                }

                foreach (var (key, value) in o)
                {
                    if (key is "example" or "examples")
                    {
                        continue;
                    }

                    foreach (var schema in SchemasIn(value, $"{path}.{key}"))
                    {
                        yield return schema;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var schema in SchemasIn(a[i], $"{path}[{i}]"))
                    {
                        yield return schema;
                    }
                }

                break;
        }
    }

    private JsonNode Schema(string name) => served["components"]!["schemas"]![name]!;

    private static IEnumerable<string> HeaderNames(JsonNode response) =>
        response["headers"]?.AsObject().Select(h => h.Key) ?? [];

    /// <summary>The JSON path of the first place where the two documents differ, or null.</summary>
    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(key) || !a.ContainsKey(key))
                    {
                        return $"{path}.{key} (only in the {(e.ContainsKey(key) ? "committed" : "served")} document)";
                    }

                    if (FirstDifference(e[key], a[key], $"{path}.{key}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    return $"{path} ({e.Count} items committed, {a.Count} served)";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual)
                    ? null
                    : $"{path}: committed {expected?.ToJsonString() ?? "null"}, served {actual?.ToJsonString() ?? "null"}";
        }
    }
}
