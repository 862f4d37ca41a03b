// The README's incremental sync recipe (CONTRACT.md §6, §6a) as a reference client; the tests run it against real
// concurrent writers. Needs only HttpClient (BaseAddress and the Bearer key set) and System.Text.Json.
using System.Text.Json;

namespace RoofKit.Examples;

public static class IncrementalSync
{
    /// <summary>One run: brings <paramref name="copy"/> up to a new watermark and returns it; pass it to the next run.</summary>
    public static async Task<string> RunAsync(HttpClient api, IDictionary<Guid, JsonElement> copy, string? watermark)
    {
        var from = watermark is null ? "" : "&from=" + Uri.EscapeDataString(watermark);
        var leadsWatermark = await PageAllAsync(api, "/api/v1/leads?limit=200", from, l => copy[Id(l)] = l.Clone());
        // Deletions up to the leads' watermark; their own is never later, and it is the one to save.
        return await PageAllAsync(api, "/api/v1/leads/deletions?limit=1000", from + "&to=" + Uri.EscapeDataString(leadsWatermark),
            d => copy.Remove(Id(d)));
    }

    private static async Task<string> PageAllAsync(HttpClient api, string path, string window, Action<JsonElement> apply)
    {
        string? watermark = null, cursor = null;
        while (true)
        {
            using var response = await api.GetAsync(cursor is null ? path + window : $"{path}&cursor={cursor}");
            if ((int)response.StatusCode == 429)
            {
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(response.Headers.GetValues("Retry-After").First())));
                continue;
            }

            response.EnsureSuccessStatusCode();
            watermark ??= response.Headers.GetValues("X-Sync-Watermark").First();
            using var page = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
            foreach (var row in page.RootElement.GetProperty("data").EnumerateArray()) apply(row);
            cursor = page.RootElement.GetProperty("next_cursor").GetString();
            if (cursor is null) return watermark;
        }
    }

    private static Guid Id(JsonElement row) => row.GetProperty("id").GetGuid();
}
