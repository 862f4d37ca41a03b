using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Http;

public static class LeadQueryBinding
{
    /// <summary>The query string as the raw parameters of <typeparamref name="TQuery"/>, unknown and repeated names included.</summary>
    public static LeadQueryParameters ToLeadQueryParameters<TQuery>(this IQueryCollection query)
        where TQuery : ILeadQuery =>
        LeadQueryParameters.FromQuery(query.Select(q => new KeyValuePair<string, string?[]>(q.Key, q.Value.ToArray())), TQuery.ParameterNames);
}
