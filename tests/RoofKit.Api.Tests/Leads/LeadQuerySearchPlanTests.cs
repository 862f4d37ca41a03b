using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Leads;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Leads;

/// <summary>
/// CONTRACT.md §6: search is served by the pg_trgm index restricted to the key's workspace (migration 0003), never by
/// a scan of the table or the workspace. The statement explained is the one the repository really sent (captured
/// from Npgsql's command log, with its parameters), on the smallest of three workspaces (20,000 leads beside 100,000
/// and 50,000), where an index on the trigrams alone would read every workspace's matches.
/// </summary>
public sealed class LeadQuerySearchPlanTests : ApiTestBase
{
    private const int Leads = 20_000;
    private const string SearchIndex = "leads_workspace_search_text_trgm";

    private readonly CommandCapture capture = new();
    private Guid workspace;
    private NpgsqlDataSource capturingSource = null!;
    private LeadRepository repository = null!;
    private string sampleEmail = "";
    private string samplePhone = "";
    private string sampleStreet = "";
    private DateTime sampleUpdatedAt;

    protected override async Task OneTimeSetUpAsync()
    {
        // Start the API first, as a partner's requests would find it.
        _ = Factory.Services;
        workspace = (await Data.WorkspaceAsync()).Id;
        (await Data.SeedAsync(workspace, Leads)).Should().Be(Leads);
        await Data.SeedAsync((await Data.WorkspaceAsync()).Id, 100_000, seed: 3);
        await Data.SeedAsync((await Data.WorkspaceAsync()).Id, 50_000, seed: 5);

        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync("ANALYZE leads");
        (sampleEmail, samplePhone, sampleStreet, sampleUpdatedAt) = await connection.QuerySingleAsync<(string, string, string, DateTime)>("""
            SELECT email, phone, street, updated_at FROM leads
            WHERE workspace_id = @workspace AND email IS NOT NULL AND phone IS NOT NULL AND street IS NOT NULL
              AND source = 'google' AND medium = 'cpc'
            ORDER BY id LIMIT 1
            """, new { workspace });

        var builder = new NpgsqlDataSourceBuilder(AssemblyDatabase.Database.ConnectionString);
        builder.UseLoggerFactory(LoggerFactory.Create(logging => logging.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)));
        builder.EnableParameterLogging();
        capturingSource = builder.Build();
        repository = new LeadRepository(new ReadDataSource(capturingSource));
    }

    [OneTimeTearDown]
    public async Task DisposeCapturingSourceAsync() => await capturingSource.DisposeAsync();

    // Terms that few leads match, the case where reading the keyset index in order would walk the whole workspace.
    // They are taken from one lead (its email, the last 7 digits of its phone, its street), so that the planner's
    // estimate does not depend on which rows ANALYZE happened to sample. A common term is found within the first
    // index pages, so the planner rightly reads those instead.
    [TestCase("email")]
    [TestCase("phone")]
    [TestCase("street")]
    public async Task ShouldServeASearchFromTheWorkspacesTrigramIndex(string field)
    {
        var search = field switch
        {
            "email" => sampleEmail,
            "phone" => samplePhone[^7..],
            _ => sampleStreet,
        };

        var plan = await ExplainListAsync(LeadFilter.None with { Search = search }, null);

        ShouldSearchOnlyTheWorkspaceThroughItsIndex(plan);
    }

    // A term that the statistics call common, because another workspace has it on a fifth of its leads, while this
    // workspace has it on three: read in keyset order, the page would walk this whole workspace to find them (on the
    // 1,000,000-lead bench a phone fragment that one ANALYZE sampled took 1.5 s that way, 18 ms from the index).
    [Test]
    public async Task ShouldServeARareTermFromTheTrigramIndexWhenAnotherWorkspaceMakesItCommon()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var crowded = (await Data.WorkspaceAsync()).Id;
        await Data.SeedAsync(crowded, 20_000, seed: 7);
        await connection.ExecuteAsync("UPDATE leads SET city = 'Qwixburg' WHERE workspace_id = @crowded AND id::text < '4'", new { crowded });
        await connection.ExecuteAsync("""
            UPDATE leads SET city = 'Qwixburg'
            WHERE id IN (SELECT id FROM leads WHERE workspace_id = @workspace ORDER BY updated_at DESC, id LIMIT 3)
            """, new { workspace });
        await connection.ExecuteAsync("ANALYZE leads");
        var estimate = await connection.ExecuteScalarAsync<string>("EXPLAIN SELECT 1 FROM leads WHERE search_text LIKE '%qwixb%'");
        try
        {
            int.Parse(Regex.Match(estimate!, @"rows=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture)
                .Should().BeGreaterThan(1_000, "the statistics must see the term as common");

            var plan = await ExplainListAsync(LeadFilter.None with { Search = "qwixb" }, null);

            ShouldSearchOnlyTheWorkspaceThroughItsIndex(plan);
        }
        finally
        {
            await connection.ExecuteAsync("DELETE FROM leads WHERE workspace_id = @crowded", new { crowded });
            await connection.ExecuteAsync("ANALYZE leads");
        }
    }

    // A term on many of the workspace's leads: its page is among the slice's next rows, read in keyset order in one
    // statement, rather than from its every match in the trigram index.
    [Test]
    public async Task ShouldServeACommonTermFromTheSlicesNextRowsInOneStatement()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var expected = (await connection.QueryAsync<Guid>("""
            SELECT id FROM leads WHERE workspace_id = @workspace AND updated_at <= now() AND search_text LIKE '%an%'
            ORDER BY updated_at, id LIMIT 51
            """, new { workspace })).ToList();
        expected.Should().HaveCount(51, "'an' is in many names and streets");

        var plan = await ExplainListAsync(LeadFilter.None with { Search = "AN" }, null);

        LastStatements.Should().Be(1);
        plan.Should().Contain("leads_workspace_updated_id").And.NotContain(SearchIndex).And.NotContain("Seq Scan on leads");
        var page = await repository.ReadAsync(
            new LeadSliceRequest(workspace, LeadFilter.None with { Search = "AN" }, null, DateTime.UtcNow, 50), CancellationToken.None).ToListAsync();
        page.Select(l => l.Id).Should().Equal(expected);
    }

    [Test]
    public async Task ShouldServeASearchWithOtherFiltersAndACursorFromTheWorkspacesTrigramIndex()
    {
        var filter = new LeadFilter("google", "cpc", null, sampleUpdatedAt.AddDays(-30), null, null, sampleEmail[..^4]);
        var after = new KeysetPosition(sampleUpdatedAt.AddDays(-1), Guid.Empty);

        var plan = await ExplainListAsync(filter, after);

        ShouldSearchOnlyTheWorkspaceThroughItsIndex(plan);
    }

    [Test]
    public async Task ShouldReadPagesWithoutASearchFromTheKeysetIndex()
    {
        var plan = await ExplainListAsync(LeadFilter.None, new KeysetPosition(DateTime.UtcNow.AddDays(-100), Guid.Empty));

        plan.Should().Contain("leads_workspace_updated_id").And.NotContain("Seq Scan on leads").And.NotContain("Sort");
    }

    /// <summary>
    /// A Bitmap Index Scan on the (workspace_id, search_text) index whose Index Cond holds both the workspace and the
    /// pattern, so the index itself keeps other workspaces' rows out; and no sequential scan of leads anywhere.
    /// </summary>
    private static void ShouldSearchOnlyTheWorkspaceThroughItsIndex(string plan)
    {
        var lines = plan.Split('\n');
        var scan = Array.FindIndex(lines, l => l.Contains("Bitmap Index Scan on " + SearchIndex, StringComparison.Ordinal));
        scan.Should().BeGreaterThanOrEqualTo(0, $"the search must be read from {SearchIndex}");
        lines.Should().HaveCountGreaterThan(scan + 1);
        lines[scan + 1].Trim().Should().StartWith("Index Cond:")
            .And.Contain("workspace_id =", "the index restricts the search to the workspace")
            .And.Contain("search_text ~~");
        plan.Should().NotContain("Seq Scan on leads").And.NotContain("leads_search_text_trgm ");
    }

    /// <summary>How many statements the last <see cref="ExplainListAsync"/> saw the repository send.</summary>
    private int LastStatements { get; set; }

    /// <summary>Runs the repository's list query, then EXPLAINs exactly the last statement it sent, with its parameters.</summary>
    private async Task<string> ExplainListAsync(LeadFilter filter, KeysetPosition? after)
    {
        capture.Clear();
        var rows = await repository.ReadAsync(new LeadSliceRequest(workspace, filter, after, DateTime.UtcNow, 50), CancellationToken.None).ToListAsync();
        LastStatements = capture.Commands.Count;
        // A search looks among the slice's next rows first, and goes to the trigram index when they hold too few matches.
        capture.Commands.Should().HaveCount(filter.Search is null || rows.Count > 50 ? 1 : 2);
        var (sql, parameters) = capture.Commands[^1];
        // A search's matches are read in a subquery fenced by OFFSET 0 (it skips nothing); no other OFFSET.
        sql.Replace("OFFSET 0) l", "", StringComparison.Ordinal).Should().Contain("l.workspace_id = $1").And.Contain("ORDER BY l.updated_at, l.id")
            .And.Contain("LIMIT").And.NotContainAny(["OFFSET", "count("], "keyset pagination never skips or counts rows");
        sql.Contains("OFFSET 0) l", StringComparison.Ordinal).Should().Be(LastStatements == 2);
        if (after is not null)
        {
            sql.Should().Contain("(l.updated_at, l.id) > (");
        }

        if (filter.Search is not null)
        {
            sql.Should().Contain("search_text LIKE");
            rows.Should().NotBeEmpty("the search term comes from the workspace's own leads");
        }

        await using var connection = await Db.OpenConnectionAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var value in parameters)
        {
            explain.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        var plan = string.Join('\n', lines);
        await TestContext.Out.WriteLineAsync(plan);
        return plan;
    }

    /// <summary>Collects the statements Npgsql executes (its text with $n placeholders and the values).</summary>
    private sealed class CommandCapture : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<(string Sql, object?[] Parameters)> commands = new();

        public IReadOnlyList<(string Sql, object?[] Parameters)> Commands => [.. commands];

        public void Clear() => commands.Clear();

        public ILogger CreateLogger(string categoryName) => categoryName == "Npgsql.Command" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return;
            }

            // The completion event (it has a duration), not the Debug one logged as the command starts.
            var sql = values.FirstOrDefault(v => v.Key == "CommandText").Value as string;
            if (sql is null || !values.Any(v => v.Key == "DurationMs") || !sql.Contains("FROM leads", StringComparison.Ordinal))
            {
                return;
            }

            var parameters = values.FirstOrDefault(v => v.Key == "Parameters").Value switch
            {
                object?[] array => array,
                System.Collections.IEnumerable list => [.. list.Cast<object?>()],
                _ => [],
            };
            commands.Enqueue((sql, parameters));
        }

        public void Dispose()
        {
        }
    }
}
