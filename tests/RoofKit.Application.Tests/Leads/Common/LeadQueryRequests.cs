using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Tests.Leads.Common;

/// <summary>Lead query parameters from a query string, grouped the way ASP.NET Core's IQueryCollection groups them.</summary>
internal static class LeadQueryRequests
{
    public static LeadQueryParameters Parse(string query, IReadOnlyList<string>? known = null) =>
        LeadQueryParameters.FromQuery(query.Length == 0
            ? []
            : query.Split('&')
                .Select(pair => pair.Split('=', 2))
                .Select(kv => (Name: Uri.UnescapeDataString(kv[0]), Value: kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : ""))
                .GroupBy(kv => kv.Name, StringComparer.OrdinalIgnoreCase)
                .Select(g => new KeyValuePair<string, string?[]>(g.First().Name, [.. g.Select(kv => (string?)kv.Value)])),
            known);
}
