using System.Data.Common;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Infrastructure.Leads;

/// <summary>
/// The columns every lead query selects, and the read of one row of them: each column by its position with the
/// reader's typed getter, so no value is boxed on its way from the wire to <see cref="Lead"/> (ADR-010). The list
/// and the order are one; a change to one is a change to both.
/// </summary>
internal static class LeadRow
{
    public const string Columns = """
        l.id, l.first_name, l.last_name, l.email, l.phone, l.street, l.city, l.region, l.postal_code,
        l.source, l.medium, l.campaign, l.status_stage_id, s.name, l.notes, l.created_at, l.updated_at
        """;

    public static Lead Read(DbDataReader row) => new()
    {
        Id = row.GetGuid(0),
        FirstName = Text(row, 1),
        LastName = Text(row, 2),
        Email = Text(row, 3),
        Phone = Text(row, 4),
        Street = Text(row, 5),
        City = Text(row, 6),
        Region = Text(row, 7),
        PostalCode = Text(row, 8),
        Source = Text(row, 9),
        Medium = Text(row, 10),
        Campaign = Text(row, 11),
        StatusStageId = row.IsDBNull(12) ? null : row.GetGuid(12),
        StatusStageName = Text(row, 13),
        Notes = Text(row, 14),
        // timestamptz: Npgsql reads it as a UTC DateTime.
        CreatedAt = row.GetDateTime(15),
        UpdatedAt = row.GetDateTime(16),
    };

    private static string? Text(DbDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
}
