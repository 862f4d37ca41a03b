using System.Globalization;
using System.Text.RegularExpressions;

namespace RoofKit.Application.Leads.Common;

/// <summary>The filters of a lead query, parsed (<see cref="LeadQuery.Parse"/>). Times are UTC.</summary>
public sealed partial record LeadFilter(
    string? Source,
    string? Medium,
    string? Campaign,
    DateTime? From,
    DateTime? To,
    Guid? StatusStageId,
    string? Search)
{
    /// <summary>The bounds of <c>source</c>, <c>medium</c> and <c>campaign</c> (CONTRACT.md §6), for the parser and the OpenAPI document.</summary>
    public const int TextMinLength = 1;

    public const int TextMaxLength = 255;

    /// <summary>
    /// The bounds of <c>search</c> (CONTRACT.md §6), for the parser and the OpenAPI document. A term shorter than a
    /// trigram gives the trigram index nothing to look up, so it would read the whole workspace.
    /// </summary>
    public const int SearchMinLength = 3;

    public const int SearchMaxLength = 200;

    public static readonly LeadFilter None = new(null, null, null, null, null, null, null);

    /// <summary>RFC 3339 date-time with a mandatory offset (<c>Z</c> or <c>+hh:mm</c>).</summary>
    /// <remarks>
    /// A <c>+hh:mm</c> offset typed into a URL unescaped arrives as a space (<c>+</c> means space in a query string).
    /// A space is never valid there, so one in the offset's place is read as the <c>+</c> it was meant to be.
    /// </remarks>
    public static bool TryParseTimestamp(string value, out DateTime utc)
    {
        utc = default;
        if (value.Length > 6 && value[^6] == ' ')
        {
            value = string.Concat(value.AsSpan(0, value.Length - 6), "+", value.AsSpan(value.Length - 5));
        }

        if (!Rfc3339().IsMatch(value)
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        utc = parsed.UtcDateTime;
        return true;
    }

    /// <summary>
    /// A request that carries a cursor may repeat the cursor's filters or leave them out; any filter it
    /// gives that differs from the cursor's is a conflict.
    /// </summary>
    public bool ConflictsWith(LeadFilter cursorFilter) =>
        Differs(Source, cursorFilter.Source)
        || Differs(Medium, cursorFilter.Medium)
        || Differs(Campaign, cursorFilter.Campaign)
        || (From is not null && From != cursorFilter.From)
        || (To is not null && To != cursorFilter.To)
        || (StatusStageId is not null && StatusStageId != cursorFilter.StatusStageId)
        || Differs(Search, cursorFilter.Search);

    private static bool Differs(string? requested, string? fromCursor) =>
        requested is not null && !string.Equals(requested, fromCursor, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
