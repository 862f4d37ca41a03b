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
    // Aliased to Lead's property names: Dapper maps columns to properties by name, and no global setting changes that.
    private const string Columns = $"""
        l.id AS {nameof(Lead.Id)}, l.first_name AS {nameof(Lead.FirstName)}, l.last_name AS {nameof(Lead.LastName)},
        l.email AS {nameof(Lead.Email)}, l.phone AS {nameof(Lead.Phone)}, l.street AS {nameof(Lead.Street)},
        l.city AS {nameof(Lead.City)}, l.region AS {nameof(Lead.Region)}, l.postal_code AS {nameof(Lead.PostalCode)},
        l.source AS {nameof(Lead.Source)}, l.medium AS {nameof(Lead.Medium)}, l.campaign AS {nameof(Lead.Campaign)},
        l.status_stage_id AS {nameof(Lead.StatusStageId)}, s.name AS {nameof(Lead.StatusStageName)},
        l.notes AS {nameof(Lead.Notes)}, l.created_at AS {nameof(Lead.CreatedAt)}, l.updated_at AS {nameof(Lead.UpdatedAt)}
        """;

    public async IAsyncEnumerable<Lead> ReadAsync(
        LeadSliceRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(request);
        parameters.Add("Take", request.Limit + 1);
        // LIMIT tells the planner the slice is small: it walks the keyset index from the position instead of sorting.
        var sql = $"""
            SELECT {Columns}
            FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id
            WHERE {where}
            ORDER BY l.updated_at, l.id
            LIMIT @Take
            """;
        await foreach (var lead in read.StreamAsync<Lead>(request.ReadAfterWal, sql, parameters, cancellationToken))
        {
            yield return lead;
        }
    }

    public async Task ReadSegmentAsync(
        LeadSliceRequest request, Func<KeysetPageEnd, ValueTask> onEnd, Func<Lead, ValueTask> onRow, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(request);
        parameters.Add("Take", request.Limit + 1);

        // Key-only probe on the index: the last two of the slice's first Limit + 1 keys say how many rows the segment
        // has, whether one follows it (KeysetPage's rule, counted by PostgreSQL) and where it ends.
        var probeSql = $"""
            SELECT k.updated_at AS UpdatedAt, k.id AS Id, k.n AS Position
            FROM (
                SELECT p.updated_at, p.id, row_number() OVER (ORDER BY p.updated_at, p.id) AS n
                FROM (
                    SELECT l.updated_at, l.id
                    FROM leads l
                    WHERE {where}
                    ORDER BY l.updated_at, l.id
                    LIMIT @Take
                ) p
            ) k
            ORDER BY k.n DESC
            LIMIT 2
            """;

        // One snapshot for the probe and the rows, so the row count the headers promise is the count that follows.
        await using var connection = await read.OpenConnectionAsync(request.ReadAfterWal, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var ends = (await connection.QueryAsync<ProbeRow>(
            new CommandDefinition(probeSql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        var found = ends.Count == 0 ? 0 : (int)ends[0].Position;
        var hasMore = found > request.Limit;
        var lastRow = hasMore ? ends[1] : ends.Count > 0 ? ends[0] : null;
        var last = lastRow is null ? (KeysetPosition?)null : new KeysetPosition(lastRow.UpdatedAt, lastRow.Id);
        var rowCount = hasMore ? request.Limit : found;
        await onEnd(new KeysetPageEnd(rowCount, hasMore, last));
        if (last is not { } end)
        {
            return;
        }

        parameters.Add("LastUpdatedAt", end.UpdatedAt);
        parameters.Add("LastId", end.Id);
        parameters.Add("RowCount", rowCount);
        // The LIMIT is redundant with the upper key, but it tells the planner the slice is small: without it, a
        // segment deep in a large workspace was estimated at a quarter of the table and sorted whole.
        var sql = $"""
            SELECT {Columns}
            FROM leads l LEFT JOIN status_stages s ON s.id = l.status_stage_id
            WHERE {where} AND l.updated_at <= @LastUpdatedAt AND (l.updated_at, l.id) <= (@LastUpdatedAt, @LastId)
            ORDER BY l.updated_at, l.id
            LIMIT @RowCount
            """;
        await foreach (var lead in connection.StreamAsync<Lead>(sql, parameters, transaction, cancellationToken))
        {
            await onRow(lead);
        }
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
        And("l.search_text LIKE '%' || lower(@Search) || '%'", "Search", filter.Search is { } search ? EscapeLike(search) : null);

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

    private sealed record ProbeRow(DateTime UpdatedAt, Guid Id, long Position);
}
