using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Leads;

namespace RoofKit.Api.Tests.Persistence;

/// <summary>
/// The columns a lead query asks PostgreSQL to send as text (ADR-010, decision 12) are exactly its <c>text</c>
/// columns, as the database types them: one flagged wrongly would arrive in the wrong form (a uuid as text), one left
/// out would only lose the saving.
/// </summary>
public sealed class TextResultColumnsTests : ApiTestBase
{
    [Test]
    public async Task ShouldFlagExactlyTheTextColumnsOfTheListsStatement() =>
        (await TextColumnsAsync($"SELECT {LeadRow.Columns} FROM {LeadRow.From} LIMIT 0"))
            .Should().Equal(LeadRow.ColumnsSentAsText);

    [Test]
    public async Task ShouldFlagExactlyTheTextColumnsOfTheExportsStatement() =>
        (await TextColumnsAsync($"SELECT {LeadRow.LeadColumns} FROM leads l LIMIT 0"))
            .Should().Equal(LeadRow.LeadColumnsSentAsText);

    private async Task<bool[]> TextColumnsAsync(string sql)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        return [.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetDataTypeName(i) == "text")];
    }
}
