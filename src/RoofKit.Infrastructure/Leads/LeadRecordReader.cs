using System.Data.Common;
using System.Text;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Infrastructure.Leads;

/// <summary>
/// Reads rows of <see cref="LeadRow.LeadColumns"/> into one <see cref="ILeadRecord"/>, again for each row: the ids and
/// timestamps with the reader's typed getters, each text column's bytes copied as PostgreSQL sent them (UTF-8, in its
/// text format: <c>TextResultColumns</c>) into one buffer the record keeps, and the stage's name from the workspace's
/// stages, encoded once per segment (ADR-010 decision 13). Nothing is allocated per row once the buffer has grown to
/// the longest row.
/// </summary>
internal sealed class LeadRecordReader : ILeadRecord
{
    /// <summary>
    /// The text columns of <see cref="LeadRow.LeadColumns"/> (<see cref="LeadRow.LeadColumnsSentAsText"/>), in their order,
    /// are the <see cref="LeadText"/> fields up to its last; the stage's name comes from the segment's stages.
    /// </summary>
    private const int TextColumns = (int)LeadText.StatusStageName;

    private readonly Dictionary<Guid, byte[]> stageNames;
    private readonly int[] starts = new int[TextColumns];
    private readonly int[] lengths = new int[TextColumns];
    private byte[] buffer = new byte[1024];
    private byte[]? stageName;

    public LeadRecordReader(IReadOnlyDictionary<Guid, string> stageNames) =>
        this.stageNames = stageNames.ToDictionary(stage => stage.Key, stage => Encoding.UTF8.GetBytes(stage.Value));

    public Guid Id { get; private set; }

    public Guid? StatusStageId { get; private set; }

    public DateTime CreatedAt { get; private set; }

    public DateTime UpdatedAt { get; private set; }

    public ReadOnlySpan<byte> Text(LeadText field) =>
        field == LeadText.StatusStageName ? stageName : buffer.AsSpan(starts[(int)field], lengths[(int)field]);

    public ILeadRecord Read(DbDataReader row)
    {
        // In column order: Npgsql reads a buffered row forwards, and seeks back to reach a column already passed.
        Id = row.GetGuid(LeadRow.Id);
        var used = 0;
        var field = 0;
        for (var ordinal = 0; ordinal < LeadRow.LeadColumnsSentAsText.Length; ordinal++)
        {
            if (ordinal == LeadRow.StageId)
            {
                StatusStageId = row.IsDBNull(ordinal) ? null : row.GetGuid(ordinal);
                stageName = StatusStageId is { } stageId ? stageNames.GetValueOrDefault(stageId) : null;
            }
            else if (LeadRow.LeadColumnsSentAsText[ordinal])
            {
                starts[field] = used;
                lengths[field] = row.IsDBNull(ordinal) ? 0 : ReadBytes(row, ordinal, used);
                used += lengths[field++];
            }
        }

        // timestamptz: Npgsql reads it as a UTC DateTime.
        CreatedAt = row.GetDateTime(LeadRow.CreatedAt);
        UpdatedAt = row.GetDateTime(LeadRow.UpdatedAt);
        return this;
    }

    /// <summary>Copies a text column's bytes to the buffer at <paramref name="at"/>, growing it when they do not fit.</summary>
    private int ReadBytes(DbDataReader row, int ordinal, int at)
    {
        var room = buffer.Length - at;
        var length = (int)row.GetBytes(ordinal, 0, buffer, at, room);
        if (length < room)
        {
            return length;
        }

        // Filled to the end: the value may go on. Without a buffer, GetBytes gives its whole length.
        length = (int)row.GetBytes(ordinal, 0, null, 0, 0);
        if (length > room)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, at + length));
            row.GetBytes(ordinal, 0, buffer, at, length);
        }

        return length;
    }
}
