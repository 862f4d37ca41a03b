using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Http;

public static class LeadQueryBinding
{
    /// <summary>The query string as the lead query's raw parameters, unknown and repeated names included.</summary>
    public static LeadQueryParameters ToLeadQueryParameters(this IQueryCollection query, IReadOnlyList<string>? known = null) =>
        LeadQueryParameters.FromQuery(query.Select(q => new KeyValuePair<string, string?[]>(q.Key, q.Value.ToArray())), known);
}
