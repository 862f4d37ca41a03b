using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using RoofKit.Api.Tests.Support;
using static RoofKit.Api.Tests.Leads.ListLeadsApi;

namespace RoofKit.Api.Tests.Sync;

/// <summary>
/// The commit-safe watermark of CONTRACT.md §6 against real transactions on the real clock: a writer whose
/// transaction stays open past the settle lag, a session left idle in a transaction, and timestamps that are
/// exact bounds at the millisecond they are shown with.
/// </summary>
public sealed class CommitSafeWatermarkTests : ApiTestBase
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Sync:SettleLagSeconds"] = "5",
        ["Sync:WatermarkLagWarningSeconds"] = "2",
        ["RateLimits:List:PermitLimit"] = "100000",
    };

    [Test]
    public async Task ShouldDeliverTheRowOfAWriterThatCommitsTwelveSecondsLaterInTheNextRun()
    {
        var (workspace, client) = await WorkspaceAsync();
        var before = await Data.LeadAsync(workspace, DateTime.UtcNow.AddMinutes(-10));

        // An import that inserts a lead, then works for 12 s (longer than the 5 s settle lag) before it commits.
        await using var writer = await Db.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        var slow = Guid.NewGuid();
        await writer.ExecuteAsync(
            "INSERT INTO leads (id, workspace_id, first_name) VALUES (@slow, @workspace, 'Slow')", new { slow, workspace }, transaction);
        var started = await writer.QuerySingleAsync<DateTime>("SELECT updated_at FROM leads WHERE id = @slow", new { slow }, transaction);

        await WaitUntilDatabaseTimeAsync(started.AddSeconds(6));
        var run1 = await ReadAllAsync(client, "");
        run1.Ids.Should().Equal(before);
        run1.WatermarkUtc.Should().BeOnOrBefore(started, "the watermark stays behind the open transaction");

        await WaitUntilDatabaseTimeAsync(started.AddSeconds(12));
        await transaction.CommitAsync();

        var run2 = await ReadAllAsync(client, $"from={run1.Watermark}");
        run2.Ids.Should().Contain(slow, "the next run starts at the watermark, which never passed the writer's start");
    }

    [Test]
    public async Task ShouldHoldTheWatermarkBehindAnIdleInTransactionSessionAndWarn()
    {
        var (workspace, client) = await WorkspaceAsync();
        await Data.LeadAsync(workspace, DateTime.UtcNow.AddMinutes(-10));

        await using var idle = await Db.OpenConnectionAsync();
        await using var transaction = await idle.BeginTransactionAsync();
        var started = await idle.QuerySingleAsync<DateTime>("SELECT now()", transaction: transaction);
        var pid = idle.ProcessID;

        // The session is now "idle in transaction"; once it is older than the warning threshold, ask for a page.
        await WaitUntilDatabaseTimeAsync(started.AddSeconds(7));
        var page = await PageAsync(client, "");

        ParseWatermark(page.Watermark).Should().Be(Truncate(started), "the idle session is the oldest open transaction");
        Logs.Entries.Should().Contain(e => e.Level == LogLevel.Warning
            && e.Message.Contains("Sync watermark held back", StringComparison.Ordinal)
            && e.Message.Contains($"pid {pid}", StringComparison.Ordinal));

        await transaction.RollbackAsync();
        var after = await PageAsync(client, "");
        ParseWatermark(after.Watermark).Should().BeAfter(started.AddSeconds(1), "with the session gone, the window ends the settle lag before now");
    }

    [Test]
    public async Task ShouldFindALeadByTheTimestampItIsShownWith()
    {
        var (workspace, client) = await WorkspaceAsync();
        // A value with microseconds, as an import may write it: the database keeps milliseconds only.
        var written = new DateTime(2026, 3, 2, 9, 15, 5, DateTimeKind.Utc).AddTicks(9_999_990);
        var id = await Data.LeadAsync(workspace, written);

        var shown = (await PageAsync(client, "")).Data.Single().GetProperty("updated_at").GetString()!;

        (await PageAsync(client, $"to={shown}")).Ids.Should().Equal(id);
        (await PageAsync(client, $"from={shown}")).Ids.Should().Equal(id);
        (await PageAsync(client, $"from={shown}&to={shown}")).Ids.Should().Equal(id);
        await using var connection = await Db.OpenConnectionAsync();
        (await connection.QuerySingleAsync<string>("SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM leads WHERE id = @id", new { id }))
            .Should().EndWith("000Z", "updated_at is stored at millisecond precision");
    }

    [Test]
    public async Task ShouldWriteUpdatedAtAtMillisecondPrecisionFromTheTrigger()
    {
        var (workspace, _) = await WorkspaceAsync();
        var id = await Data.LeadAsync(workspace, DateTime.UtcNow.AddDays(-1));
        await using var connection = await Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("UPDATE leads SET notes = 'touched' WHERE id = @id", new { id }, transaction);
        var (updatedAt, start) = await connection.QuerySingleAsync<(DateTime, DateTime)>(
            "SELECT updated_at, now() FROM leads WHERE id = @id", new { id }, transaction);
        await transaction.CommitAsync();

        updatedAt.Should().Be(Truncate(start), "the trigger writes the transaction's start, cut to the millisecond");
    }

    private async Task WaitUntilDatabaseTimeAsync(DateTime utc)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var now = await connection.QuerySingleAsync<DateTime>("SELECT clock_timestamp()");
        if (now < utc)
        {
            await Task.Delay(utc - now);
        }
    }

    private static DateTime Truncate(DateTime t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
}
