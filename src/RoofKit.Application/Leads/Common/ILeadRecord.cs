namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A lead of an export segment as the database sent it: its ids and timestamps read, its text left in the UTF-8 it
/// arrived in, so the CSV is written from those bytes without a string made of each value and encoded back (ADR-010
/// decision 13). One record serves a whole segment: what it returns holds until the next row is read.
/// </summary>
public interface ILeadRecord
{
    Guid Id { get; }

    Guid? StatusStageId { get; }

    DateTime CreatedAt { get; }

    DateTime UpdatedAt { get; }

    /// <summary>The UTF-8 bytes of a text field; empty when the lead has none (its CSV field is empty either way).</summary>
    ReadOnlySpan<byte> Text(LeadText field);
}

/// <summary>A lead's text fields: its own, in the order they are stored and selected, then its stage's name.</summary>
public enum LeadText
{
    FirstName,
    LastName,
    Email,
    Phone,
    Street,
    City,
    Region,
    PostalCode,
    Source,
    Medium,
    Campaign,
    Notes,
    StatusStageName,
}
