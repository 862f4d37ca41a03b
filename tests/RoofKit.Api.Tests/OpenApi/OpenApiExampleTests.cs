using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using RoofKit.Api.OpenApi;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Leads.Queries.ExportLeads;
using RoofKit.Application.Leads.Queries.ListDeletions;
using RoofKit.Application.Leads.Queries.ListLeads;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Infrastructure.Workspaces;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.OpenApi;

/// <summary>
/// Every example of the served document (response bodies and response headers) against a real response of the API
/// in the moment the examples describe (<see cref="OpenApiExamples.Now"/>, default settle lag and limits, the
/// examples' lead, stages and deletions): same status, same property names and JSON types, the same error code,
/// message, param and details, the same data, the same CSV bytes, every header in the same format and, where the
/// moment fixes it, with the same value. An example that no request here produces fails the test too.
/// </summary>
public sealed class OpenApiExampleTests : ApiTestBase
{
    /// <summary>The format of each documented header, which its example and every real value must match.</summary>
    private static readonly Dictionary<string, Regex> HeaderFormats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["X-RateLimit-Limit"] = new(@"^[1-9][0-9]*$"),
        ["X-RateLimit-Remaining"] = new(@"^(0|[1-9][0-9]*)$"),
        ["X-RateLimit-Reset"] = new(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"),
        ["Retry-After"] = new(@"^[1-9][0-9]*$"),
        ["X-Sync-Watermark"] = new(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"),
        // TestServer's request ids are the connection-id part alone; Kestrel's add the request's number.
        ["X-Request-Id"] = new(@"^[0-9A-Z]{13}(:[0-9A-F]{8})?$"),
        ["WWW-Authenticate"] = new(
            @"^Bearer realm=""RoofKit Partner API""(, error=""invalid_token""|, error=""insufficient_scope"", scope=""leads\.(read|export)"")?$"),
        ["Content-Disposition"] = new(@"^attachment; filename=""roofkit-leads-[0-9]{8}T[0-9]{6}Z\.csv""$"),
        ["X-Export-Truncated"] = new(@"^(true|false)$"),
        ["X-Export-Row-Count"] = new(@"^(0|[1-9][0-9]*)$"),
        ["X-Export-Next-Cursor"] = new(@"^[A-Za-z0-9_-]+$"),
        ["Link"] = new(@"^<https?://[^>\s]+/api/v1/leads/export\?cursor=[A-Za-z0-9_-]+(&limit=[0-9]+)?>; rel=""next""$"),
    };

    /// <summary>Headers whose value the examples' moment fixes: the example is what the server sends, exactly.</summary>
    private static readonly string[] ExactHeaders =
    [
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Sync-Watermark",
        "WWW-Authenticate", "Content-Disposition", "X-Export-Truncated", "X-Export-Row-Count",
    ];

    /// <summary>The example of each response whose headers the exact values belong to (the others share the headers' format).</summary>
    private static readonly Dictionary<string, string> HeaderExampleOf = new()
    {
        ["401"] = "invalid_api_key",
        ["403"] = "insufficient_scope",
        ["429"] = "rate_limited",
    };

    private static readonly Dictionary<string, Type> QueryOfPath = new()
    {
        ["/api/v1/leads"] = typeof(ListLeadsQuery),
        ["/api/v1/leads/export"] = typeof(ExportLeadsQuery),
        ["/api/v1/leads/deletions"] = typeof(ListDeletionsQuery),
        ["/api/v1/status-stages"] = typeof(ListStatusStagesQuery),
    };

    private readonly TestClock clock = new(OpenApiExamples.Now);
    private readonly Dictionary<string, ApiFactory> faultyFactories = [];
    private readonly List<string> bareDatabases = [];
    private JsonNode document = null!;
    private Guid workspaceId;
    private Guid busyWorkspaceId;
    private string suspendedKey = "";

    protected override TimeProvider Clock => clock;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // The default; the test factory's 0 would move the watermark.
        ["Sync:SettleLagSeconds"] = "5",
    };

    protected override async Task OneTimeSetUpAsync()
    {
        document = JsonNode.Parse(await Client().GetStringAsync(OpenApiSetup.DocumentPath))!;

        // The workspace of the examples, without the seeder's default stages: exactly the examples' stages, their
        // lead (and one more, so that the page has a next one), their deletions (and one more).
        var workspace = await new WorkspaceAdmin(Db).CreateAsync($"ex-{Guid.NewGuid():N}"[..20], "Example Roofing", CancellationToken.None);
        workspaceId = workspace.Id;
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO status_stages (id, workspace_id, name, position, kind) VALUES
                    ('7c9e6679-7425-40de-944b-e07fc1f90ae7', @workspace, 'New', 1, 'open'),
                    ('3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14', @workspace, 'Inspection scheduled', 3, 'open'),
                    ('16fd2706-8baf-433b-82eb-8c7fada847da', @workspace, 'Won', 5, 'won');
                INSERT INTO leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                                   source, medium, campaign, status_stage_id, notes, created_at, updated_at)
                VALUES ('9b1f3c2e-5a7d-4e8f-b6a1-0c2d3e4f5a6b', @workspace, 'Dana', 'Whitfield', 'dana.whitfield@example.com',
                        '+15125550142', '418 Maple Ave', 'Austin', 'TX', '78704', 'google', 'cpc', 'spring-roof-check',
                        '3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14', '=wants a quote for hail damage',
                        '2026-11-20T15:02:11.481Z', '2026-11-27T10:14:59.123Z'),
                       (gen_random_uuid(), @workspace, 'Sam', 'Ortiz', NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, NULL, NULL, NULL, '2026-11-27T10:14:59.500Z', '2026-11-27T10:14:59.500Z');
                INSERT INTO lead_deletions (workspace_id, id, deleted_at) VALUES
                    (@workspace, '5d0c7a9e-1f2b-4c3d-8e4f-a5b6c7d8e9f0', '2026-11-26T17:40:03.250Z'),
                    (@workspace, 'c4a8e2f1-6b3d-4f9a-8e7c-1d2b3a4c5e6f', '2026-11-27T09:02:44.918Z'),
                    (@workspace, gen_random_uuid(), '2026-11-27T10:00:00.000Z');
                """, new { workspace = workspaceId });
        }

        var suspended = await Data.WorkspaceAsync(WorkspaceStatus.Suspended);
        suspendedKey = (await Data.KeyAsync(suspended.Id)).Token;

        // A workspace whose export slots (default 4) are all taken by exports of other instances.
        busyWorkspaceId = (await Data.WorkspaceAsync()).Id;
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO export_leases (lease_id, workspace_id, expires_at)
                SELECT gen_random_uuid(), @busy, now() + interval '1 hour' FROM generate_series(1, 4)
                """, new { busy = busyWorkspaceId });
        }
    }

    [OneTimeTearDown]
    public async Task DropFaultyApisAsync()
    {
        foreach (var factory in faultyFactories.Values)
        {
            await factory.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString);
        await admin.OpenAsync();
        foreach (var name in bareDatabases)
        {
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    [Test]
    public async Task ShouldAnswerEveryDocumentedExampleAsTheServerDoes()
    {
        var problems = new List<string>();
        var checkedExamples = 0;
        foreach (var (path, pathItem) in document["paths"]!.AsObject())
        {
            if (!QueryOfPath.ContainsKey(path))
            {
                continue; // /healthz documents no example
            }

            foreach (var (status, response) in pathItem!["get"]!["responses"]!.AsObject())
            {
                var examples = Examples(response!).ToList();
                foreach (var (mediaType, name, example) in examples)
                {
                    var where = $"{path} {status} {mediaType} example '{name}'";
                    var real = await ProduceAsync(path, status, name);
                    if (real is null)
                    {
                        problems.Add($"{where}: no request of this test produces it; add one");
                        continue;
                    }

                    checkedExamples++;
                    using (real)
                    {
                        if ((int)real.StatusCode != int.Parse(status))
                        {
                            problems.Add($"{where}: the request answered {(int)real.StatusCode}: {await real.Content.ReadAsStringAsync()}");
                            continue;
                        }

                        problems.AddRange((await BodyProblemsAsync(mediaType, example, real)).Select(p => $"{where}: {p}"));
                        var headerExample = HeaderExampleOf.GetValueOrDefault(status, name);
                        problems.AddRange(HeaderProblems(response!, real, exact: examples.Count == 1 || name == headerExample)
                            .Select(p => $"{where}: {p}"));
                    }
                }
            }
        }

        problems.Should().BeEmpty("every example is what the server sends; these are not:\n{0}", string.Join("\n", problems));
        checkedExamples.Should().BeGreaterThan(40, "every operation documents its 200 and its errors with examples");
    }

    [Test]
    public void ShouldGiveEveryDocumentedHeaderAnExampleInAKnownFormat()
    {
        var headers = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!["get"]!["responses"]!.AsObject())
            .SelectMany(r => r.Value!["headers"]?.AsObject().ToList() ?? [])
            .ToList();

        headers.Should().NotBeEmpty();
        foreach (var (name, header) in headers)
        {
            HeaderFormats.Should().ContainKey(name, "every documented header has a format that this test checks");
            header!["example"].Should().NotBeNull($"{name} has an example");
        }
    }

    /// <summary>The examples of a response: (media type, name, value); a media type's single <c>example</c> is named "".</summary>
    private static IEnumerable<(string MediaType, string Name, JsonNode Example)> Examples(JsonNode response)
    {
        foreach (var (mediaType, media) in response["content"]?.AsObject().ToList() ?? [])
        {
            if (media!["example"] is { } single)
            {
                yield return (mediaType, "", single);
            }

            foreach (var (name, example) in media["examples"]?.AsObject().ToList() ?? [])
            {
                yield return (mediaType, name, example!["value"]!);
            }
        }
    }

    /// <summary>The request that makes the example's response, on a key of its own (so its bucket is fresh), or null.</summary>
    private async Task<HttpResponseMessage?> ProduceAsync(string path, string status, string example)
    {
        var query = QueryOfPath[path];
        var limit = query.GetCustomAttribute<RateLimitedAttribute>()!;
        var maxLimit = query.GetField("MaxLimit")?.GetValue(null) as int? ?? 0;
        return (status, example) switch
        {
            ("200", "") => await GetAsync(path + (path switch
            {
                "/api/v1/leads" or "/api/v1/leads/export" => "?limit=1",
                "/api/v1/leads/deletions" => "?limit=2",
                _ => "",
            }), await KeyAsync(workspaceId)),
            ("400", "invalid_request") => await GetAsync($"{path}?limit={maxLimit + 1}", await KeyAsync(workspaceId)),
            ("400", "unknown_parameter") => await GetAsync($"{path}?page=2", await KeyAsync(workspaceId)),
            ("400", "invalid_cursor") => await GetAsync($"{path}?cursor=not-a-cursor", await KeyAsync(workspaceId)),
            ("410", "sync_expired") => await GetAsync($"{path}?from=2026-10-01T00:00:00Z", await KeyAsync(workspaceId)),
            ("401", "missing_api_key") => await GetAsync(path, token: null),
            ("401", "invalid_api_key") => await GetAsync(path, "rk_live_0000000000000000000000000000000000000000000000000"),
            ("403", "insufficient_scope") => await GetAsync(path,
                await KeyAsync(workspaceId, path.EndsWith("/export", StringComparison.Ordinal) ? Scopes.LeadsRead : Scopes.LeadsExport)),
            ("403", "workspace_inactive") => await GetAsync(path, suspendedKey),
            ("429", "rate_limited") => await RateLimitedAsync(path, limit),
            ("429", "auth_rate_limited") => await AuthRateLimitedAsync(path),
            ("429", "concurrency_limited") => await GetAsync(path, await KeyAsync(busyWorkspaceId)),
            ("500", "internal_error") => await FaultyAsync(path, "bare"),
            ("503", "unavailable") => await FaultyAsync(path, "down"),
            _ => null,
        };
    }

    private async Task<HttpResponseMessage> GetAsync(string pathAndQuery, string? token, string? clientAddress = null) =>
        await Client(token, clientAddress).GetAsync(pathAndQuery);

    private async Task<string> KeyAsync(Guid workspace, params string[] scopes) => (await Data.KeyAsync(workspace, scopes)).Token;

    /// <summary>A fresh key whose bucket for the endpoint already holds the window's every request.</summary>
    private async Task<HttpResponseMessage> RateLimitedAsync(string path, RateLimitedAttribute limited)
    {
        var (keyId, token) = await Data.KeyAsync(workspaceId);
        await FillBucketAsync($"key:{keyId:N}:{limited.Endpoint}", new RateLimitOptions().For(limited.Policy));
        return await GetAsync(path, token);
    }

    /// <summary>A malformed key from an address whose invalid-auth bucket is full.</summary>
    private async Task<HttpResponseMessage> AuthRateLimitedAsync(string path)
    {
        var address = RandomAddress();
        await FillBucketAsync($"auth:{address}", new RateLimitOptions().InvalidAuth);
        return await GetAsync(path, "rk_live_0000000000000000000000000000000000000000000000000", address);
    }

    private async Task FillBucketAsync(string bucket, RateLimitRule rule)
    {
        var window = TimeSpan.FromSeconds(rule.WindowSeconds);
        var now = clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - (now.Ticks % window.Ticks), DateTimeKind.Utc);
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO rate_limit_counters (bucket, window_start, hits, expires_at) VALUES (@bucket, @start, @hits, @end)",
            new { bucket, start, hits = rule.PermitLimit, end = start + window });
    }

    /// <summary>
    /// The path, with a well-formed key, on an API whose database has none of its tables ("bare": every query fails,
    /// 500) or cannot be reached ("down": 503).
    /// </summary>
    private async Task<HttpResponseMessage> FaultyAsync(string path, string fault)
    {
        if (!faultyFactories.TryGetValue(fault, out var factory))
        {
            var connectionString = fault == "bare"
                ? await BareDatabaseAsync()
                : $"Host=127.0.0.1;Port={ClosedPort()};Username=roofkit;Password=none;Database=roofkit";
            factory = new ApiFactory(connectionString, new Dictionary<string, string?>
            {
                // The failures are the point; their error logs would only bury the test's output.
                ["Logging:LogLevel:Default"] = "None",
            });
            faultyFactories[fault] = factory;
        }

        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await KeyAsync(workspaceId));
        return await client.GetAsync(path);
    }

    /// <summary>A database without the API's tables: every query fails, which is a 500.</summary>
    private async Task<string> BareDatabaseAsync()
    {
        var name = $"roofkit_bare_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE DATABASE \"{name}\"");
        }

        bareDatabases.Add(name);
        return new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A local port that nothing listens on: connecting to the database there is refused at once (503).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<List<string>> BodyProblemsAsync(string mediaType, JsonNode example, HttpResponseMessage real)
    {
        var problems = new List<string>();
        var body = await real.Content.ReadAsStringAsync();
        if (real.Content.Headers.ContentType?.MediaType != mediaType)
        {
            problems.Add($"Content-Type {real.Content.Headers.ContentType}, documented {mediaType}");
            return problems;
        }

        if (mediaType == "text/csv")
        {
            // The same rows in the same bytes: header, field order, quoting, formula escapes, CRLF.
            var expected = example.GetValue<string>();
            if (body != expected)
            {
                problems.Add($"the CSV differs:\n--- example\n{Visible(expected)}\n--- server\n{Visible(body)}");
            }

            return problems;
        }

        var actual = JsonNode.Parse(body);
        SameShape(example, actual, "$", problems);
        if (example["error"] is { } error)
        {
            // The examples quote the real messages.
            foreach (var field in new[] { "code", "message", "param", "details" })
            {
                if (!JsonNode.DeepEquals(error[field], actual!["error"]![field]))
                {
                    problems.Add($"error.{field}: example {error[field]?.ToJsonString() ?? "absent"}, server {actual!["error"]![field]?.ToJsonString() ?? "absent"}");
                }
            }
        }
        else
        {
            // The examples' data is the data of this test's workspace.
            foreach (var field in new[] { "data", "has_more" })
            {
                if (!JsonNode.DeepEquals(example[field], actual![field]))
                {
                    problems.Add($"{field}: example {example[field]?.ToJsonString()}, server {actual![field]?.ToJsonString()}");
                }
            }
        }

        return problems;
    }

    private static IEnumerable<string> HeaderProblems(JsonNode response, HttpResponseMessage real, bool exact)
    {
        foreach (var (name, header) in response["headers"]?.AsObject().ToList() ?? [])
        {
            var example = header!["example"] is { } value
                ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
                : null;
            var format = HeaderFormats.GetValueOrDefault(name);
            var values = Values(real, name);
            if (format is null)
            {
                yield return $"header {name} has no format in this test";
                continue;
            }

            if (example is not null && !format.IsMatch(example))
            {
                yield return $"header {name}: the example {example} is not in the format {format}";
            }

            if (values is null)
            {
                if (header["required"]?.GetValue<bool>() == true)
                {
                    yield return $"header {name} is required, the server did not send it";
                }

                continue;
            }

            if (!format.IsMatch(values))
            {
                yield return $"header {name}: the server sent {values}, not in the format {format}";
            }

            if (exact && example is not null && ExactHeaders.Contains(name, StringComparer.OrdinalIgnoreCase) && values != example)
            {
                yield return $"header {name}: example {example}, server {values}";
            }
        }
    }

    private static string? Values(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    /// <summary>Whether two JSON values have the same shape: the same kinds, the same property names in the same order.</summary>
    private static void SameShape(JsonNode? example, JsonNode? actual, string path, List<string> problems)
    {
        var (e, a) = (Kind(example), Kind(actual));
        if (e != a)
        {
            problems.Add($"{path}: example is {e}, server sent {a}");
            return;
        }

        switch (example, actual)
        {
            case (JsonObject eo, JsonObject ao):
                var (eNames, aNames) = (eo.Select(p => p.Key).ToList(), ao.Select(p => p.Key).ToList());
                if (!eNames.SequenceEqual(aNames))
                {
                    problems.Add($"{path}: example has [{string.Join(", ", eNames)}], server sent [{string.Join(", ", aNames)}]");
                    return;
                }

                foreach (var name in eNames)
                {
                    SameShape(eo[name], ao[name], $"{path}.{name}", problems);
                }

                break;
            case (JsonArray ea, JsonArray aa) when ea.Count > 0 && aa.Count > 0:
                foreach (var item in ea)
                {
                    SameShape(item, aa[0], $"{path}[]", problems);
                }

                foreach (var item in aa)
                {
                    SameShape(ea[0], item, $"{path}[]", problems);
                }

                break;
            case (JsonArray ea, JsonArray aa) when ea.Count == 0 != (aa.Count == 0):
                problems.Add($"{path}: example has {ea.Count} items, server sent {aa.Count}");
                break;
        }
    }

    private static JsonValueKind Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null => JsonValueKind.Null,
        JsonValueKind.True or JsonValueKind.False => JsonValueKind.True,
        var kind => kind.Value,
    };

    private static string Visible(string csv) => csv.Replace("\r\n", "\\r\\n\n", StringComparison.Ordinal);
}
