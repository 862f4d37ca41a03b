using System.Globalization;
using System.Net.Http;
using System.Text.Json;

namespace RoofKit.Api.Tests.Leads;

/// <summary>Reads <c>GET /api/v1/leads</c> as a partner does: one page, or every page of a sync run.</summary>
internal static class ListLeadsApi
{
    public const string LeadsPath = "/api/v1/leads";

    public const string WatermarkFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static DateTime ParseWatermark(string text) =>
        DateTime.ParseExact(text, WatermarkFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>RFC 3339 with microseconds, the precision of updated_at.</summary>
    public static string Rfc3339(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static async Task<ListPage> PageAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync(query.Length == 0 ? LeadsPath : $"{LeadsPath}?{query}");
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(200, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var watermark = response.Headers.GetValues("X-Sync-Watermark").Should().ContainSingle().Subject;
        watermark.Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");

        var root = JsonDocument.Parse(body).RootElement;
        root.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["data", "has_more", "next_cursor"]);
        var data = root.GetProperty("data").EnumerateArray().ToList();
        var hasMore = root.GetProperty("has_more").GetBoolean();
        var next = root.GetProperty("next_cursor");
        if (hasMore)
        {
            next.ValueKind.Should().Be(JsonValueKind.String);
        }
        else
        {
            next.ValueKind.Should().Be(JsonValueKind.Null, "a last page has no next cursor");
        }

        return new ListPage(data, hasMore, hasMore ? next.GetString() : null, watermark);
    }

    /// <summary>
    /// Pages from <paramref name="query"/> to the end, sending the cursor alone (with <c>limit</c>) after the
    /// first page; checks that every page is full but the last and that all pages state one watermark.
    /// </summary>
    public static async Task<ListRun> ReadAllAsync(HttpClient client, string query, int? limit = null)
    {
        var limitParameter = limit is null ? "" : $"limit={limit}";
        var pageSize = limit ?? 50;
        var pages = new List<ListPage> { await PageAsync(client, Join(query, limitParameter)) };
        var delivered = new HashSet<Guid>(pages[0].Ids);
        while (pages[^1].HasMore)
        {
            pages[^1].Data.Should().HaveCount(pageSize, "only the last page may be short");
            pages.Add(await PageAsync(client, Join($"cursor={pages[^1].NextCursor}", limitParameter)));

            // A run that delivers a lead twice is wrong, and one that does not move on would never end.
            foreach (var id in pages[^1].Ids)
            {
                delivered.Add(id).Should().BeTrue($"page {pages.Count} repeats lead {id} of an earlier page");
            }
        }

        pages[^1].Data.Count.Should().BeLessThanOrEqualTo(pageSize);
        pages.Select(p => p.Watermark).Distinct().Should().ContainSingle("every page of a run has the first page's window");
        return new ListRun(pages, pages[0].Watermark);
    }

    public static string Join(params string[] parts) => string.Join('&', parts.Where(p => p.Length > 0));
}
