using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Persistence;

/// <summary>
/// A page's statement is planned once per connection, not at every page, and a search for its own term every time
/// (ADR-010, <c>PlanCache</c>): PostgreSQL keeps the generic plan of a prepared statement only when nothing in it makes
/// the plans made for the values look cheaper (a LIMIT given as a parameter did), and would use it for a search too.
/// Read from <c>pg_prepared_statements</c> of the read pool's one session (the pages are requested one after another,
/// so the pool never opens a second), after a dozen pages through the API, on one workspace whose leads and
/// tombstones fill the (freshly emptied) tables and their statistics, as a partner's do: on a few rows every plan is
/// cheap and PostgreSQL keeps the generic one whatever the LIMIT.
/// </summary>
public sealed class PlanCacheTests : ApiTestBase
{
    private const int Pages = 12;

    // Npgsql prepares a statement at its second use; PostgreSQL makes custom plans for a prepared statement's first
    // five executions before it weighs the generic one.
    private const int PreparedExecutions = Pages - 1;
    private const int CustomPlansBeforeGeneric = 5;

    private Guid workspace;
    private HttpClient client = null!;

    protected override async Task OneTimeSetUpAsync()
    {
        (workspace, client) = await WorkspaceAsync("leads.read");
        (await Data.SeedAsync(workspace, 20_000)).Should().Be(20_000);
        await using var connection = await Db.OpenConnectionAsync();
        await using var delete = new NpgsqlCommand(
            $"DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE workspace_id = '{workspace}' ORDER BY id LIMIT 5000)", connection);
        (await delete.ExecuteNonQueryAsync()).Should().Be(5000);
        await using var analyze = new NpgsqlCommand("ANALYZE leads; ANALYZE lead_deletions", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task ShouldPlanAListPageOnceAndServeTheNextPagesFromThatPlan()
    {
        var plans = await PlansAfterAsync("/api/v1/leads?limit=10", "FROM leads l");

        plans.Generic.Should().Be(PreparedExecutions - CustomPlansBeforeGeneric, "every page after the fifth is served from the generic plan");
        plans.Custom.Should().Be(CustomPlansBeforeGeneric);
    }

    [Test]
    public async Task ShouldPlanADeletionsPageOnceAndServeTheNextPagesFromThatPlan()
    {
        var plans = await PlansAfterAsync("/api/v1/leads/deletions?limit=5", "FROM lead_deletions d");

        plans.Generic.Should().Be(PreparedExecutions - CustomPlansBeforeGeneric);
        plans.Custom.Should().Be(CustomPlansBeforeGeneric);
    }

    [Test]
    public async Task ShouldPlanEverySearchForItsOwnTerm()
    {
        // Many seeded phones have 555 in them, too few for the slice's next 500 rows to fill a page, so each page comes
        // from the trigram index's statement (the one whose plan depends on the term). After five such searches
        // PostgreSQL would switch it to its generic plan (seen: 6 of 11), and serve every later term on the connection
        // from it, however few or many leads match.
        var plans = await PlansAfterAsync("/api/v1/leads?limit=50&search=555", "OFFSET 0) l");

        plans.Generic.Should().Be(0, "a generic plan would not know how many leads the term matches");
        plans.Custom.Should().Be(PreparedExecutions);
    }

    /// <summary>
    /// Requests <paramref name="path"/> <see cref="Pages"/> times, one after another, on a read pool emptied first
    /// (so all of them run in one session, which never has to open a second), then reads that session's
    /// <c>pg_prepared_statements</c>: the generic and the custom plans of the one statement containing
    /// <paramref name="statementPart"/>.
    /// </summary>
    private async Task<(long Generic, long Custom)> PlansAfterAsync(string path, string statementPart)
    {
        var read = Factory.Services.GetRequiredService<ReadDataSource>();
        read.Clear();
        for (var i = 0; i < Pages; i++)
        {
            var response = await client.GetAsync(path);
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        await using var connection = await read.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = statementPart });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue("the page's statement is prepared after its second use");
        var plans = (reader.GetInt64(0), reader.GetInt64(1));
        (await reader.ReadAsync()).Should().BeFalse("one statement serves every page");
        return plans;
    }
}
