using System.Text.RegularExpressions;
using RoofKit.Application.Common.Exceptions;

namespace RoofKit.Application.Leads.Common;

/// <summary>
/// The lead query of one request, parsed: its filters, its cursor as sent (the planner opens it against the caller's
/// workspace), the rows to read and the feed it pages. <see cref="Parse"/> is the only way to one, so whoever holds a
/// <see cref="LeadQuery"/> holds a query that keeps CONTRACT.md §6; nothing downstream parses the text again.
/// </summary>
public sealed partial class LeadQuery
{
    private LeadQuery(LeadFilter filter, string? cursor, int limit, CursorKind kind)
    {
        Filter = filter;
        Cursor = cursor;
        Limit = limit;
        Kind = kind;
    }

    public LeadFilter Filter { get; }

    public string? Cursor { get; }

    public int Limit { get; }

    public CursorKind Kind { get; }

    /// <summary>Parses a request with its endpoint's limits and cursor kind (<see cref="ILeadQuery"/>).</summary>
    public static LeadQuery Parse<TQuery>(TQuery request)
        where TQuery : ILeadQuery => Parse(request.Parameters, TQuery.Limits, TQuery.CursorKind);

    /// <summary>
    /// Parses the parameters as sent, or throws <see cref="RequestValidationException"/> with every problem found,
    /// each naming its query parameter (<c>param</c> of the ErrorResponse), never a C# property.
    /// </summary>
    public static LeadQuery Parse(LeadQueryParameters parameters, LeadQueryLimits limits, CursorKind kind)
    {
        var errors = new List<ParameterError>();

        // Each failure names the offending parameter itself, so that a client sees which one to drop.
        foreach (var name in parameters.UnknownParameters)
        {
            errors.Add(new ParameterError(Shorten(name), $"Unknown query parameter '{Shorten(name)}'.", "unknown_parameter"));
        }

        foreach (var name in parameters.RepeatedParameters)
        {
            errors.Add(new ParameterError(name, $"{name} must be given at most once."));
        }

        var source = Text(parameters.Source, "source", LeadFilter.TextMinLength, LeadFilter.TextMaxLength, errors);
        var medium = Text(parameters.Medium, "medium", LeadFilter.TextMinLength, LeadFilter.TextMaxLength, errors);
        var campaign = Text(parameters.Campaign, "campaign", LeadFilter.TextMinLength, LeadFilter.TextMaxLength, errors);
        var search = Text(parameters.Search, "search", LeadFilter.SearchMinLength, LeadFilter.SearchMaxLength, errors);

        var from = Timestamp(parameters.From, "from", errors);
        var to = Timestamp(parameters.To, "to", errors);
        if (from > to)
        {
            errors.Add(new ParameterError("from", "from must not be after to."));
        }

        Guid? statusStageId = null;
        if (parameters.StatusStageId is { } stage)
        {
            // TryParseExact forgives surrounding whitespace; a UUID is exactly 36 characters.
            if (stage.Length == 36 && Guid.TryParseExact(stage, "D", out var id))
            {
                statusStageId = id;
            }
            else
            {
                errors.Add(new ParameterError("status_stage_id", "status_stage_id must be a UUID such as 3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14."));
            }
        }

        if (parameters.Cursor is { Length: 0 or > LeadCursorProtector.MaxLength })
        {
            errors.Add(new ParameterError(
                "cursor", "cursor must be a cursor exactly as a list or export response returned it.", "invalid_cursor"));
        }

        var limit = limits.Default;
        if (parameters.Limit is { } text && !TryParseLimit(text, limits.Max, out limit))
        {
            errors.Add(new ParameterError("limit", $"limit must be between 1 and {limits.Max}."));
        }

        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }

        return new LeadQuery(
            new LeadFilter(source, medium, campaign, from, to, statusStageId, search), parameters.Cursor, limit, kind);
    }

    private static string? Text(string? value, string name, int minLength, int maxLength, List<ParameterError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length < minLength || value.Length > maxLength)
        {
            errors.Add(new ParameterError(name, $"{name} must be between {minLength} and {maxLength} characters."));
        }

        if (value.Any(char.IsControl))
        {
            errors.Add(new ParameterError(name, $"{name} must not contain control characters."));
        }

        return value;
    }

    private static DateTime? Timestamp(string? value, string name, List<ParameterError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (LeadFilter.TryParseTimestamp(value, out var utc))
        {
            return utc;
        }

        errors.Add(new ParameterError(name, $"{name} must be an RFC 3339 date-time with an offset, such as 2026-11-27T10:15:00Z or "
            + "2026-11-27T12:15:00+02:00 (in a URL, send '+' as %2B)."));
        return null;
    }

    private static bool TryParseLimit(string value, int maxLimit, out int limit)
    {
        limit = 0;
        return Digits().IsMatch(value) && int.TryParse(value, out limit) && limit >= 1 && limit <= maxLimit;
    }

    private static string Shorten(string name) => name.Length <= 64 ? name : name[..64] + "…";

    [GeneratedRegex("^[0-9]{1,9}$", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
