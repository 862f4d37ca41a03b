using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using Npgsql;
using RoofKit.Application.Leads.Common;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Infrastructure.Leads;

/// <summary>
/// Keyset slices of a workspace's leads, on the index (workspace_id, updated_at, id). Only fragments of
/// fixed SQL are put together; every value is a parameter.
/// </summary>
public sealed class LeadRepository(ReadDataSource read) : ILeadRepository
{
    /// <summary>
    /// How many of a slice's next rows, in keyset order, a search page is looked for in first: a term that at least one
    /// lead in 10 holds fills its page there, from the keyset index, in a few milliseconds. A rare term pays for the
    /// look, about 2 ms of PostgreSQL's time on the bench (2,000 rows cost it 7-9 ms).
    /// </summary>
    public const int SearchWindow = 500;

    private const string SearchCondition = "l.search_text LIKE '%' || lower(@Search) || '%'";

    public IAsyncEnumerable<Lead> ReadAsync(LeadSliceRequest request, CancellationToken cancellationToken) =>
        request.Filter.Search is null ? ReadPageAsync(request, cancellationToken) : SearchAsync(request, cancellationToken);

    private IAsyncEnumerable<Lead> ReadPageAsync(LeadSliceRequest request, CancellationToken cancellationToken)
    {
        var (leads, where, parameters) = Slice(request);
        // LIMIT tells the planner the slice is small: it walks the keyset index from the position instead of sorting.
        // It is part of the statement, so that a page's plan is made once per connection; a search is planned for its
        // own term each time (PlanCache).
        var sql = $"""
            SELECT {LeadRow.Columns}
            FROM {leads} {LeadRow.JoinStage}
            WHERE {where}
            ORDER BY l.updated_at, l.id
            LIMIT {PlanCache.Limit(request.Limit + 1)}
            """;
        return read.StreamAsync(
            request.ReadAfterWal, sql, parameters, LeadRow.ColumnsSentAsText, LeadRow.Read, planEachExecution: request.Filter.Search is not null, cancellationToken);
    }

    /// <summary>
    /// A search page in at most two statements (CONTRACT.md §6, ADR-010 decision 15). First the slice's next
    /// <see cref="SearchWindow"/> rows in keyset order, of which those holding the term: if they fill the page, they are
    /// its first leads in order (the window is the slice's beginning), and a common term is served without reading its
    /// every match. Otherwise the term is rare here, and the page comes from the workspace's trigram index
    /// (<see cref="Slice"/>), never from a walk of the workspace that the planner's estimate of the term could choose.
    /// </summary>
    private async IAsyncEnumerable<Lead> SearchAsync(LeadSliceRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var take = request.Limit + 1;
        var (where, parameters) = Where(request with { Filter = request.Filter with { Search = null } });
        parameters.Add("Search", EscapeLike(request.Filter.Search!));
        var nearSql = $"""
            SELECT {LeadRow.Columns}
            FROM (
                SELECT * FROM leads l
                WHERE {where}
                ORDER BY l.updated_at, l.id
                LIMIT {PlanCache.Limit(SearchWindow)}
            ) l {LeadRow.JoinStage}
            WHERE {SearchCondition}
            ORDER BY l.updated_at, l.id
            LIMIT {PlanCache.Limit(take)}
            """;
        var near = new List<Lead>(take);
        await foreach (var lead in read.StreamAsync(
            request.ReadAfterWal, nearSql, parameters, LeadRow.ColumnsSentAsText, LeadRow.Read, planEachExecution: false, cancellationToken))
        {
            near.Add(lead);
        }

        if (near.Count == take)
        {
            foreach (var lead in near)
            {
                yield return lead;
            }

            yield break;
        }

        await foreach (var lead in ReadPageAsync(request, cancellationToken))
        {
            yield return lead;
        }
    }

    public async Task ReadSegmentAsync(
        LeadSliceRequest request, Func<KeysetPageEnd, ValueTask> onEnd, Func<ILeadRecord, ValueTask> onRow, CancellationToken cancellationToken)
    {
        var (leads, where, parameters) = Slice(request);
        parameters.Add("Skip", request.Limit - 1);
        parameters.Add("Take", request.Limit + 1);

        // Where a full segment ends and whether one follows it (KeysetPage's rule, counted by PostgreSQL): the slice's
        // keys at positions Limit and Limit + 1, read from the keyset index alone. Numbering every key of the slice to
        // find its last two cost PostgreSQL five times as much (ADR-010: 7.4 against 1.3 ms per 10,000 keys).
        var endSql = $"""
            SELECT l.updated_at AS UpdatedAt, l.id AS Id
            FROM {leads}
            WHERE {where}
            ORDER BY l.updated_at, l.id
            OFFSET @Skip
            LIMIT 2
            """;

        // A shorter segment (the last of a sync) has no key at position Limit: its keys are numbered, and the last read.
        var shortSql = $"""
            SELECT k.updated_at AS UpdatedAt, k.id AS Id, k.n AS Position
            FROM (
                SELECT p.updated_at, p.id, row_number() OVER (ORDER BY p.updated_at, p.id) AS n
                FROM (
                    SELECT l.updated_at, l.id
                    FROM {leads}
                    WHERE {where}
                    ORDER BY l.updated_at, l.id
                    LIMIT @Take
                ) p
            ) k
            ORDER BY k.n DESC
            LIMIT 1
            """;

        // One snapshot for the probe and the rows, so the row count the headers promise is the count that follows.
        await using var connection = await read.OpenConnectionAsync(request.ReadAfterWal, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        if (request.Filter.Search is not null)
        {
            await PlanCache.PlanEachExecutionAsync(connection, transaction, cancellationToken);
        }

        var ends = (await connection.QueryAsync<KeyRow>(
            new CommandDefinition(endSql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        int rowCount;
        bool hasMore;
        KeysetPosition? last;
        if (ends.Count > 0)
        {
            (rowCount, hasMore, last) = (request.Limit, ends.Count > 1, new KeysetPosition(ends[0].UpdatedAt, ends[0].Id));
        }
        else
        {
            var tail = (await connection.QueryAsync<ProbeRow>(
                new CommandDefinition(shortSql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
            (rowCount, hasMore, last) = tail.Count == 0
                ? (0, false, (KeysetPosition?)null)
                : ((int)tail[0].Position, false, new KeysetPosition(tail[0].UpdatedAt, tail[0].Id));
        }

        await onEnd(new KeysetPageEnd(rowCount, hasMore, last));
        if (last is not { } end)
        {
            return;
        }

        // The workspace's stage names, in the segment's snapshot, joined to the rows here: joined by PostgreSQL
        // (a nested loop over a memoized index lookup per row) they cost it 4-6 ms of a 10,000-row segment's 28
        // (ADR-010). A lead's stage is always one of its workspace's (0001's foreign key).
        const string stagesSql = "SELECT s.id AS Id, s.name AS Name FROM status_stages s WHERE s.workspace_id = @WorkspaceId";
        var stageNames = (await connection.QueryAsync<StageName>(
                new CommandDefinition(stagesSql, parameters, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(stage => stage.Id, stage => stage.Name);

        parameters.Add("LastUpdatedAt", end.UpdatedAt);
        parameters.Add("LastId", end.Id);
        parameters.Add("RowCount", rowCount);
        // The LIMIT is redundant with the upper key, but it tells the planner the slice is small: without it, a
        // segment deep in a large workspace was estimated at a quarter of the table and sorted whole.
        var sql = $"""
            SELECT {LeadRow.LeadColumns}
            FROM {leads}
            WHERE {where} AND l.updated_at <= @LastUpdatedAt AND (l.updated_at, l.id) <= (@LastUpdatedAt, @LastId)
            ORDER BY l.updated_at, l.id
            LIMIT @RowCount
            """;
        var readRow = LeadRow.ReadRecordsWithStageNames(stageNames);
        await foreach (var lead in connection.StreamAsync(sql, parameters, LeadRow.LeadColumnsSentAsText, transaction, readRow, cancellationToken))
        {
            await onRow(lead);
        }
    }

    /// <summary>
    /// The rows a slice reads (<c>l</c>) and the condition on them. Without a search: the table and the slice's condition,
    /// for the keyset index to serve in order. With a search: the slice's matches, found by the (workspace_id,
    /// search_text) trigram index in a subquery that <c>OFFSET 0</c> keeps apart, so that the page's ORDER BY and LIMIT
    /// cannot tempt the planner into walking the keyset index and filtering each row (CONTRACT.md §6: never a scan of
    /// the workspace). The planner costs that walk by the term's share of the whole table, from a sample: a term
    /// another workspace has on a fifth of its leads, or one that a sampled row happened to hold, looked common, and
    /// a page of a rare term walked the workspace (1.5 s on the 1,000,000-lead bench, against 18 ms from the index).
    /// A list page of a common term is found before this (<see cref="SearchAsync"/>); an export segment of one reads
    /// the term's matches from the segment's start on (ADR-010 decision 15).
    /// </summary>
    private static (string Leads, string Where, DynamicParameters Parameters) Slice(LeadSliceRequest request)
    {
        var (where, parameters) = Where(request);
        return request.Filter.Search is null
            ? ("leads l", where, parameters)
            : ($"(SELECT * FROM leads l WHERE {where} OFFSET 0) l", "TRUE", parameters);
    }

    private static (string Where, DynamicParameters Parameters) Where(LeadSliceRequest request)
    {
        var parameters = new DynamicParameters();
        var sql = new StringBuilder("l.workspace_id = @WorkspaceId AND l.updated_at <= @UpTo");
        parameters.Add("WorkspaceId", request.WorkspaceId);
        parameters.Add("UpTo", request.UpTo);

        // Each filter given adds one condition on one parameter.
        void And(string condition, string name, object? value)
        {
            if (value is not null)
            {
                sql.Append(" AND ").Append(condition);
                parameters.Add(name, value);
            }
        }

        var filter = request.Filter;
        And("l.updated_at >= @From", "From", filter.From);
        And("lower(l.source) = lower(@Source)", "Source", filter.Source);
        And("lower(l.medium) = lower(@Medium)", "Medium", filter.Medium);
        And("lower(l.campaign) = lower(@Campaign)", "Campaign", filter.Campaign);
        And("l.status_stage_id = @StatusStageId", "StatusStageId", filter.StatusStageId);
        // lower() on both sides (search_text is lower-cased by the database), never .NET's case folding; with the
        // workspace equality above, the (workspace_id, search_text) trigram index serves it.
        And(SearchCondition, "Search", filter.Search is { } search ? EscapeLike(search) : null);

        if (request.After is { } after)
        {
            sql.Append(" AND (l.updated_at, l.id) > (@AfterUpdatedAt, @AfterId)");
            parameters.Add("AfterUpdatedAt", after.UpdatedAt);
            parameters.Add("AfterId", after.Id);
        }

        return (sql.ToString(), parameters);
    }

    private static string EscapeLike(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal);

    private sealed record KeyRow(DateTime UpdatedAt, Guid Id);

    private sealed record StageName(Guid Id, string Name);

    private sealed record ProbeRow(DateTime UpdatedAt, Guid Id, long Position);
}
