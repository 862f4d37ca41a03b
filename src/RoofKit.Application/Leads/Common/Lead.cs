namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A lead as partners see it, a row of the list's <c>data</c> and of the export: the lead's columns with its stage's
/// name joined, in the contract's column order (the JSON's and the CSV's). The read side's shape, not an entity:
/// the API never changes a lead.
/// </summary>
public sealed class Lead
{
    public Guid Id { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Street { get; init; }
    public string? City { get; init; }
    public string? Region { get; init; }
    public string? PostalCode { get; init; }
    public string? Source { get; init; }
    public string? Medium { get; init; }
    public string? Campaign { get; init; }
    public Guid? StatusStageId { get; init; }
    public string? StatusStageName { get; init; }
    public string? Notes { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}
