using System.Text.RegularExpressions;
using FluentValidation;
using FluentValidation.Results;

namespace RoofKit.Application.Leads.Common;

/// <summary>A lead query of either endpoint: the same parameters, different limits.</summary>
public interface ILeadQuery
{
    LeadQueryParameters Parameters { get; }
}

/// <summary>
/// The rules of CONTRACT.md §6, shared by list and export. Each failure names the query parameter
/// (<c>param</c> of the ErrorResponse), never a C# property.
/// </summary>
public abstract partial class LeadQueryValidator<TQuery> : AbstractValidator<TQuery>
    where TQuery : ILeadQuery
{
    protected LeadQueryValidator(int maxLimit)
    {
        // Each failure names the offending parameter itself, so that a client sees which one to drop.
        RuleFor(q => q.Parameters).Custom((parameters, context) =>
        {
            foreach (var name in parameters.UnknownParameters)
            {
                context.AddFailure(new ValidationFailure(Shorten(name), $"Unknown query parameter '{Shorten(name)}'.")
                {
                    ErrorCode = "unknown_parameter",
                });
            }

            foreach (var name in parameters.RepeatedParameters)
            {
                context.AddFailure(new ValidationFailure(name, $"{name} must be given at most once."));
            }
        });

        Text(q => q.Parameters.Source, "source", 1, 255);
        Text(q => q.Parameters.Medium, "medium", 1, 255);
        Text(q => q.Parameters.Campaign, "campaign", 1, 255);
        Text(q => q.Parameters.Search, "search", LeadFilter.SearchMinLength, LeadFilter.SearchMaxLength);

        Timestamp(q => q.Parameters.From, "from");
        Timestamp(q => q.Parameters.To, "to");
        RuleFor(q => q.Parameters)
            .Must(p => LeadFilter.ParseTimestamp(p.From!) <= LeadFilter.ParseTimestamp(p.To!))
            .When(q => IsTimestamp(q.Parameters.From) && IsTimestamp(q.Parameters.To))
            .WithMessage("from must not be after to.")
            .OverridePropertyName("from");

        RuleFor(q => q.Parameters.StatusStageId)
            // TryParseExact forgives surrounding whitespace; a UUID is exactly 36 characters.
            .Must(v => v!.Length == 36 && Guid.TryParseExact(v, "D", out _))
            .When(q => q.Parameters.StatusStageId is not null)
            .WithMessage("status_stage_id must be a UUID such as 3f2b8c1e-0d5a-4c3e-9a61-2f7d8e9b0c14.")
            .OverridePropertyName("status_stage_id");

        RuleFor(q => q.Parameters.Cursor)
            .Must(v => v!.Length is > 0 and <= LeadCursorProtector.MaxLength)
            .When(q => q.Parameters.Cursor is not null)
            .WithErrorCode("invalid_cursor")
            .WithMessage("cursor must be a cursor exactly as a list or export response returned it.")
            .OverridePropertyName("cursor");

        RuleFor(q => q.Parameters.Limit)
            .Must(v => TryParseLimit(v, maxLimit, out _))
            .When(q => q.Parameters.Limit is not null)
            .WithMessage($"limit must be between 1 and {maxLimit}.")
            .OverridePropertyName("limit");
    }

    public static bool TryParseLimit(string? value, int maxLimit, out int limit)
    {
        limit = 0;
        return value is not null
            && Digits().IsMatch(value)
            && int.TryParse(value, out limit)
            && limit >= 1
            && limit <= maxLimit;
    }

    private void Text(System.Linq.Expressions.Expression<Func<TQuery, string?>> property, string name, int minLength, int maxLength)
    {
        var get = property.Compile();
        RuleFor(property)
            .Must(v => v!.Length >= minLength && v.Length <= maxLength)
            .When(q => get(q) is not null)
            .WithMessage($"{name} must be between {minLength} and {maxLength} characters.")
            .OverridePropertyName(name);
        RuleFor(property)
            .Must(v => !v!.Any(char.IsControl))
            .When(q => get(q) is not null)
            .WithMessage($"{name} must not contain control characters.")
            .OverridePropertyName(name);
    }

    private void Timestamp(System.Linq.Expressions.Expression<Func<TQuery, string?>> property, string name)
    {
        var get = property.Compile();
        RuleFor(property)
            .Must(IsTimestamp)
            .When(q => get(q) is not null)
            .WithMessage($"{name} must be an RFC 3339 date-time with an offset, such as 2026-11-27T10:15:00Z or 2026-11-27T12:15:00+02:00 "
                + "(in a URL, send '+' as %2B).")
            .OverridePropertyName(name);
    }

    private static bool IsTimestamp(string? value) => value is not null && LeadFilter.TryParseTimestamp(value, out _);

    private static string Shorten(string name) => name.Length <= 64 ? name : name[..64] + "…";

    [GeneratedRegex("^[0-9]{1,9}$", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
