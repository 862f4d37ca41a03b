using System.Text;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Leads;

namespace RoofKit.Api.Tests.Leads;

/// <summary>
/// An export's rows are read into one record, again for each row, their text as the bytes PostgreSQL sent (ADR-010
/// decision 13). Each row must come out whole, whatever the rows before it held: longer, shorter, empty or null
/// values, text past the record's buffer, characters of several bytes, a stage the segment's names lack.
/// </summary>
public sealed class LeadRecordReaderTests : ApiTestBase
{
    private static readonly Guid Stage = Guid.NewGuid();

    [Test]
    public async Task ShouldReadEachRowWholeThroughOneRecord()
    {
        string?[][] rows =
        [
            Texts(i => $"value {i} of a first row"),
            Texts(i => i % 3 == 0 ? null : i % 3 == 1 ? "" : "ü"),
            // Exactly 1,024 bytes in all (the first buffer's size), then one byte more: it grows at the last column.
            Texts(i => new string('a', i < 11 ? 85 : 1024 - (11 * 85))),
            Texts(i => new string('b', i < 11 ? 85 : 1025 - (11 * 85))),
            // The first eleven columns fill the grown buffer (2,048 bytes) exactly, and a note follows with no room left.
            Texts(i => i < 11 ? new string('c', i < 10 ? 186 : 2048 - (10 * 186)) : "n"),
            // A first name of 5,000 bytes: the buffer grows at the first column, with eleven still to come.
            Texts(i => i == 0 ? new string('d', 5_000) : $"after {i}"),
            // A note of 10,000 bytes: it grows again.
            Texts(i => i == 11 ? new string('ä', 5_000) : "short"),
            // A shorter row after it.
            Texts(_ => "x"),
            Texts(i => i == 0 ? "€😀" : $"=+-@,;\t\r\n\" {i}"),
        ];
        Guid?[] stages = [Stage, null, Guid.NewGuid(), Stage, null, Stage, Stage, null, Stage];

        var read = await ReadAsync(rows, stages);

        read.Should().HaveCount(rows.Length);
        for (var n = 0; n < rows.Length; n++)
        {
            read[n].Texts.Should().Equal(rows[n].Select(value => value ?? ""), "row {0}", n);
            read[n].StageId.Should().Be(stages[n]);
            read[n].StageName.Should().Be(stages[n] == Stage ? "Qualified – ü" : "", "row {0}", n);
        }
    }

    // The twelve text columns of a lead, in LeadText's order but for the stage's name (not a column).
    private static string?[] Texts(Func<int, string?> value) => [.. Enumerable.Range(0, 12).Select(value)];

    private async Task<List<(string[] Texts, Guid? StageId, string StageName)>> ReadAsync(string?[][] rows, Guid?[] stages)
    {
        var selects = new List<string>();
        var command = new NpgsqlCommand();
        for (var n = 0; n < rows.Length; n++)
        {
            var texts = rows[n].Select((_, i) => $"@t{n}_{i}::text AS c{i}").ToList();
            selects.Add($"SELECT gen_random_uuid() AS id, {string.Join(", ", texts)}, @s{n}::uuid AS stage, " +
                        $"timestamptz '2026-01-01Z' + {n} * interval '1 second' AS created_at, " +
                        $"timestamptz '2026-06-01Z' + {n} * interval '1 second' AS updated_at");
            for (var i = 0; i < rows[n].Length; i++)
            {
                command.Parameters.AddWithValue($"t{n}_{i}", NpgsqlTypes.NpgsqlDbType.Text, (object?)rows[n][i] ?? DBNull.Value);
            }

            command.Parameters.AddWithValue($"s{n}", NpgsqlTypes.NpgsqlDbType.Uuid, (object?)stages[n] ?? DBNull.Value);
        }

        await using var connection = await Db.OpenConnectionAsync();
        command.Connection = connection;
        // LeadRow.LeadColumns' shape: id, 11 texts, status_stage_id, notes, created_at, updated_at.
        command.CommandText = $"""
            SELECT id, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, stage, c11, created_at, updated_at
            FROM ({string.Join(" UNION ALL ", selects)}) r
            ORDER BY created_at
            """;
        // Text columns in PostgreSQL's text format, as the export asks for them.
        command.UnknownResultTypeList = LeadRow.LeadColumnsSentAsText;
        await using var reader = await command.ExecuteReaderAsync();
        var read = LeadRow.ReadRecordsWithStageNames(new Dictionary<Guid, string> { [Stage] = "Qualified – ü" });
        var records = new List<(string[], Guid?, string)>();
        while (await reader.ReadAsync())
        {
            var record = read(reader);
            string[] texts =
            [
                .. Enum.GetValues<LeadText>().Where(field => field != LeadText.StatusStageName)
                    .Select(field => Encoding.UTF8.GetString(record.Text(field))),
            ];
            record.CreatedAt.Should().Be(new DateTime(2026, 1, 1, 0, 0, records.Count, DateTimeKind.Utc));
            record.UpdatedAt.Should().Be(new DateTime(2026, 6, 1, 0, 0, records.Count, DateTimeKind.Utc));
            records.Add((texts, record.StatusStageId, Encoding.UTF8.GetString(record.Text(LeadText.StatusStageName))));
        }

        return records;
    }
}
