using System.Text;
using Dapper;
using Npgsql;

namespace RoofKit.Api.Tests.Leads;

/// <summary>What a lead query should return, written independently of the repository's SQL.</summary>
public sealed record LeadTruth(
    string? Source = null,
    string? Medium = null,
    string? Campaign = null,
    DateTime? From = null,
    DateTime? To = null,
    Guid? StatusStageId = null,
    string? Search = null)
{
    /// <summary>
    /// The ids that match, in the contract's order, up to the run's watermark. Search looks in each field on its
    /// own (not in the generated search_text), so the test does not share the repository's shortcut.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> ExpectedAsync(NpgsqlDataSource db, Guid workspaceId, DateTime upTo, LeadTruth truth)
    {
        // The header states the window's end to the millisecond; when the window ends at `to`, it ends exactly there.
        if (truth.To is { } to && to.AddTicks(-(to.Ticks % TimeSpan.TicksPerMillisecond)) == upTo)
        {
            upTo = to;
        }

        var sql = new StringBuilder("SELECT id FROM leads WHERE workspace_id = @WorkspaceId AND updated_at <= @UpTo");
        if (truth.Source is not null)
        {
            sql.Append(" AND lower(source) = lower(@Source)");
        }

        if (truth.Medium is not null)
        {
            sql.Append(" AND lower(medium) = lower(@Medium)");
        }

        if (truth.Campaign is not null)
        {
            sql.Append(" AND lower(campaign) = lower(@Campaign)");
        }

        if (truth.From is not null || truth.To is not null)
        {
            sql.Append(" AND updated_at BETWEEN @From AND @To");
        }

        if (truth.StatusStageId is not null)
        {
            sql.Append(" AND status_stage_id = @StatusStageId");
        }

        if (truth.Search is not null)
        {
            sql.Append("""
                 AND (strpos(lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), lower(@Search)) > 0
                      OR strpos(lower(email), lower(@Search)) > 0
                      OR strpos(lower(phone), lower(@Search)) > 0
                      OR strpos(lower(street), lower(@Search)) > 0
                      OR strpos(lower(city), lower(@Search)) > 0
                      OR strpos(lower(postal_code), lower(@Search)) > 0)
                """);
        }

        sql.Append(" ORDER BY updated_at, id");
        await using var connection = await db.OpenConnectionAsync();
        var ids = await connection.QueryAsync<Guid>(sql.ToString(), new
        {
            WorkspaceId = workspaceId,
            UpTo = upTo,
            truth.Source,
            truth.Medium,
            truth.Campaign,
            From = truth.From ?? DateTime.SpecifyKind(DateTime.UnixEpoch, DateTimeKind.Utc),
            To = truth.To ?? upTo,
            truth.StatusStageId,
            truth.Search,
        });
        return ids.AsList();
    }
}
