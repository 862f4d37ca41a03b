namespace RoofKit.Application.Leads.Common;

/// <summary>
/// The lead query exactly as the partner sent it: raw text, so that every bad value gets the contract's
/// 400 from <see cref="LeadQuery.Parse"/> in the handler (after authentication and rate limiting) rather than a binding error.
/// </summary>
public sealed record LeadQueryParameters
{
    /// <summary>The lead query of list and export (CONTRACT.md §6).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["source", "medium", "campaign", "from", "to", "status_stage_id", "search", "cursor", "limit"];

    /// <summary>What the deletions feed takes (CONTRACT.md §6a): the sync window and paging, no lead filters.</summary>
    public static readonly IReadOnlyList<string> DeletionNames = ["from", "to", "cursor", "limit"];

    public string? Source { get; init; }

    public string? Medium { get; init; }

    public string? Campaign { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public string? StatusStageId { get; init; }

    public string? Search { get; init; }

    public string? Cursor { get; init; }

    public string? Limit { get; init; }

    /// <summary>Names the request used that the lead query does not know.</summary>
    public IReadOnlyList<string> UnknownParameters { get; init; } = [];

    /// <summary>Known names the request gave more than once.</summary>
    public IReadOnlyList<string> RepeatedParameters { get; init; } = [];

    /// <summary>
    /// Builds the parameters from name/values pairs (a query string), sorting out unknown and repeated names;
    /// <paramref name="known"/> is the endpoint's set (<see cref="Names"/> unless given).
    /// </summary>
    public static LeadQueryParameters FromQuery(IEnumerable<KeyValuePair<string, string?[]>> query, IReadOnlyList<string>? known = null)
    {
        known ??= Names;
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var unknown = new List<string>();
        var repeated = new List<string>();
        foreach (var (name, given) in query)
        {
            if (!known.Contains(name))
            {
                unknown.Add(name);
            }
            else if (given.Length != 1)
            {
                repeated.Add(name);
            }
            else
            {
                values[name] = given[0];
            }
        }

        return new LeadQueryParameters
        {
            Source = values.GetValueOrDefault("source"),
            Medium = values.GetValueOrDefault("medium"),
            Campaign = values.GetValueOrDefault("campaign"),
            From = values.GetValueOrDefault("from"),
            To = values.GetValueOrDefault("to"),
            StatusStageId = values.GetValueOrDefault("status_stage_id"),
            Search = values.GetValueOrDefault("search"),
            Cursor = values.GetValueOrDefault("cursor"),
            Limit = values.GetValueOrDefault("limit"),
            UnknownParameters = unknown,
            RepeatedParameters = repeated,
        };
    }
}
