using System.Data.Common;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Infrastructure.Leads;

/// <summary>
/// The columns lead queries select, and the read of one row of them: each column by its position with the reader's
/// typed getter, so no value is boxed on its way from the wire to <see cref="Lead"/> (ADR-010). The lists and the
/// order are one; a change to one is a change to both, and to <see cref="LeadRecordReader"/>'s.
/// </summary>
internal static class LeadRow
{
    /// <summary>The lead's own columns: every lead query selects them first, in this order.</summary>
    public const string LeadColumns = """
        l.id, l.first_name, l.last_name, l.email, l.phone, l.street, l.city, l.region, l.postal_code,
        l.source, l.medium, l.campaign, l.status_stage_id, l.notes, l.created_at, l.updated_at
        """;

    /// <summary>The lead's columns and its stage's name, from <see cref="From"/> (<see cref="Read(DbDataReader)"/>).</summary>
    public const string Columns = LeadColumns + ", s.name";

    /// <summary>Each lead's stage, joined after the leads (<c>l</c>) for <see cref="Columns"/>.</summary>
    public const string JoinStage = "LEFT JOIN status_stages s ON s.id = l.status_stage_id";

    /// <summary>What <see cref="Columns"/> are selected from: the leads, each with its stage.</summary>
    public const string From = "leads l " + JoinStage;

    /// <summary>
    /// The text columns of <see cref="LeadColumns"/>, which PostgreSQL sends in its text format (<c>TextResultColumns</c>):
    /// every column but the ids and the timestamps.
    /// </summary>
    public static readonly bool[] LeadColumnsSentAsText = [false, .. Enumerable.Repeat(true, 11), false, true, false, false];

    /// <summary>The text columns of <see cref="Columns"/>: the lead's, and its stage's name.</summary>
    public static readonly bool[] ColumnsSentAsText = [.. LeadColumnsSentAsText, true];

    /// <summary>Columns of <see cref="LeadColumns"/> that are not text, by position.</summary>
    public const int Id = 0, StageId = 12, CreatedAt = 14, UpdatedAt = 15;

    private const int StageName = 16;

    /// <summary>A row of <see cref="Columns"/>.</summary>
    public static Lead Read(DbDataReader row) => new()
    {
        Id = row.GetGuid(Id),
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
        StatusStageId = row.IsDBNull(StageId) ? null : row.GetGuid(StageId),
        StatusStageName = Text(row, StageName),
        Notes = Text(row, 13),
        // timestamptz: Npgsql reads it as a UTC DateTime.
        CreatedAt = row.GetDateTime(CreatedAt),
        UpdatedAt = row.GetDateTime(UpdatedAt),
    };

    /// <summary>
    /// The read of rows of <see cref="LeadColumns"/> alone, into one record for all of them (<see cref="LeadRecordReader"/>),
    /// whose stage names come from <paramref name="stageNames"/>: the workspace's stages read in the rows' snapshot (an
    /// export's segment: the join cost PostgreSQL more than the rest of the statement).
    /// </summary>
    public static Func<DbDataReader, ILeadRecord> ReadRecordsWithStageNames(IReadOnlyDictionary<Guid, string> stageNames) =>
        new LeadRecordReader(stageNames).Read;

    private static string? Text(DbDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
}
