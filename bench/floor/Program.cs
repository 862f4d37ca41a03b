// make bench's floor for section 6 (bench/README.md): the list endpoint's first page served with the least .NET
// can do, so that the API's rate can be read against what Kestrel, Npgsql and System.Text.Json cost on their own.
//
// It is not the API and does less than any partner request needs: no MVC, MediatR, validation, problem details,
// logging or metrics; the key is compared with one SHA-256 hash held in memory (what the API's key cache does on a
// warm request, without the cache); no signed cursor, no sync watermark (the bench's pgbench statement's
// `now() - interval '5 seconds'` instead). The page is the bench's pgbench statement, prepared, read by position and
// written with Utf8JsonWriter straight to the response in the API's field names, escaping (ASP.NET Core's relaxed
// encoder: "Óscar", "+1469...") and timestamps (milliseconds, ApiJson.TimestampFormat).
//
//   GET /page     the page alone
//   GET /counted  the rate-limit counter's upsert (RateLimitStore's statement, one per request), then the page
//
// Environment: BENCH_FLOOR_DB (a connection string), BENCH_FLOOR_WORKSPACE (the workspace id), BENCH_KEY.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var dataSource = NpgsqlDataSource.Create(
    Environment.GetEnvironmentVariable("BENCH_FLOOR_DB") + ";Max Auto Prepare=32;Auto Prepare Min Usages=2;No Reset On Close=true");
var workspace = Guid.Parse(Environment.GetEnvironmentVariable("BENCH_FLOOR_WORKSPACE") ?? string.Empty);
var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + Environment.GetEnvironmentVariable("BENCH_KEY")));
var bucket = $"floor:{workspace}";
var jsonOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
JsonEncodedText[] names = [.. new[]
{
    "id", "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code", "source", "medium",
    "campaign", "status_stage_id", "status_stage_name", "notes", "created_at", "updated_at",
}.Select(name => JsonEncodedText.Encode(name))];

const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";   // ApiJson.TimestampFormat
const string PageSql = """
    SELECT l.id, l.first_name, l.last_name, l.email, l.phone, l.street, l.city, l.region, l.postal_code,
           l.source, l.medium, l.campaign, l.status_stage_id, s.name AS status_stage_name, l.notes, l.created_at, l.updated_at
    FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id
    WHERE l.workspace_id = $1 AND l.updated_at <= now() - interval '5 seconds'
    ORDER BY l.updated_at, l.id
    LIMIT 51
    """;
const string CounterSql = """
    INSERT INTO rate_limit_counters AS c (bucket, window_start, hits, expires_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + excluded.hits
    RETURNING hits
    """;

app.MapGet("/page", (HttpContext context) => ServeAsync(context, counted: false));
app.MapGet("/counted", (HttpContext context) => ServeAsync(context, counted: true));
app.MapGet("/healthz", () => "ok");
app.Run();

async Task ServeAsync(HttpContext context, bool counted)
{
    var presented = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
    if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented), keyHash))
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return;
    }

    var aborted = context.RequestAborted;
    if (counted)
    {
        var now = DateTime.UtcNow;
        var window = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc);
        await using var count = dataSource.CreateCommand(CounterSql);
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket });
        count.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = window });
        count.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
        count.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = window.AddMinutes(1) });
        if (await count.ExecuteScalarAsync(aborted) is not int)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
    }

    await using var page = dataSource.CreateCommand(PageSql);
    page.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = workspace });
    await using var reader = await page.ExecuteReaderAsync(aborted);
    context.Response.ContentType = "application/json; charset=utf-8";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter, jsonOptions);
    json.WriteStartObject();
    json.WriteStartArray("data");
    var rows = 0;
    (DateTime UpdatedAt, Guid Id) last = default;
    var timestamp = new byte[24];
    while (await reader.ReadAsync(aborted) && ++rows <= 50)
    {
        json.WriteStartObject();
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.IsDBNull(i))
            {
                json.WriteNull(names[i]);
            }
            else if (i is 0 or 12)
            {
                json.WriteString(names[i], reader.GetGuid(i));
            }
            else if (i >= 15)
            {
                reader.GetDateTime(i).TryFormat(timestamp, out var written, TimestampFormat, CultureInfo.InvariantCulture);
                json.WriteString(names[i], timestamp.AsSpan(0, written));
            }
            else
            {
                json.WriteString(names[i], reader.GetString(i));
            }
        }

        json.WriteEndObject();
        last = (reader.GetDateTime(16), reader.GetGuid(0));
    }

    json.WriteEndArray();
    json.WriteBoolean("has_more", rows > 50);
    json.WriteString("next_cursor", rows > 50 ? $"{last.UpdatedAt:O}/{last.Id}" : null);
    json.WriteEndObject();
    await json.FlushAsync(aborted);
}
