using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Examples;

namespace RoofKit.Api.Tests.Sync;

/// <summary>
/// Real concurrent writers (inserts, updates, deletes, re-creations) in transactions that stay open from 0 to 20 s,
/// while a partner runs the README's recipe (docs/examples/IncrementalSync.cs) every second. At the end its copy
/// must equal the table: no missing row, no stale value, no undeleted lead. <c>make test</c> runs a bounded size;
/// <c>make sync-sim</c> sets SYNC_SIM_CHANGES (100,000) and writes its figures to bench/SYNC.md (SYNC_SIM_REPORT).
/// </summary>
public sealed class SyncSimulationTests : ApiTestBase
{
    private static readonly double[] HoldSeconds = [0, 0, 0, 0.01, 0.05, 0.2, 0.5, 1, 3, 7, 12, 20];

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // A short lag, so what keeps the window commit-safe is the watermark's view of open transactions.
        ["Sync:SettleLagSeconds"] = "1",
        // As in production: one reading of the open transactions serves the first pages of 200 ms.
        ["Sync:HorizonMaxAgeMilliseconds"] = "200",
        ["RateLimits:List:PermitLimit"] = "1000000",
    };

    [Test]
    public async Task ShouldKeepAnExactCopyWhileWritersHoldTransactionsOpen()
    {
        var target = int.TryParse(Environment.GetEnvironmentVariable("SYNC_SIM_CHANGES"), out var n) ? n : 2_000;
        var large = target > 10_000;
        var writers = large ? 12 : 6;
        var maxOps = large ? 300 : 8;
        var workspace = (await Data.WorkspaceAsync()).Id;
        var (_, token) = await Data.KeyAsync(workspace, "leads.read");
        var client = Client(token);

        var changes = 0;
        var transactions = 0;
        var writing = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var writerTasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            var live = new List<Guid>();
            var deleted = new List<Guid>();
            // The bounded run writes for at least 25 s, so that every writer has held long transactions.
            while (Volatile.Read(ref changes) < target || (!large && writing.Elapsed < TimeSpan.FromSeconds(25)))
            {
                await using var connection = await Db.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                var ops = random.Next(1, maxOps + 1);
                for (var i = 0; i < ops; i++)
                {
                    await ChangeAsync(connection, transaction, random, workspace, live, deleted);
                }

                await Task.Delay(TimeSpan.FromSeconds(HoldSeconds[random.Next(HoldSeconds.Length)]));
                await transaction.CommitAsync();
                Interlocked.Add(ref changes, ops);
                Interlocked.Increment(ref transactions);
            }
        })).ToList();

        var copy = new Dictionary<Guid, JsonElement>();
        string? watermark = null;
        var lags = new List<double>();
        var runs = 0;
        var allWritten = Task.WhenAll(writerTasks);
        var progress = Stopwatch.StartNew();
        while (!allWritten.IsCompleted)
        {
            watermark = await IncrementalSync.RunAsync(client, copy, watermark);
            runs++;
            lags.Add((await DatabaseNowAsync() - ParseWatermark(watermark)).TotalSeconds);
            if (progress.Elapsed > TimeSpan.FromSeconds(10))
            {
                await TestContext.Progress.WriteLineAsync(
                    $"sync-sim: {Volatile.Read(ref changes):N0} of {target:N0} changes, {runs} runs, copy of {copy.Count:N0} leads");
                progress.Restart();
            }

            await Task.WhenAny(allWritten, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        await allWritten;
        var lastCommit = await DatabaseNowAsync();
        while (ParseWatermark(watermark!) < lastCommit)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            watermark = await IncrementalSync.RunAsync(client, copy, watermark);
            runs++;
        }

        var (missing, stale, undeleted) = await CompareAsync(workspace, copy);
        await ReportAsync(changes, transactions, writers, runs, lags, writing.Elapsed, missing, stale, undeleted);

        missing.Should().Be(0, "no row may be skipped");
        stale.Should().Be(0, "every row has its last committed value");
        undeleted.Should().Be(0, "every deleted lead is deleted from the copy");
        changes.Should().BeGreaterThanOrEqualTo(target);
    }

    private static async Task ChangeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Random random, Guid workspace, List<Guid> live, List<Guid> deleted)
    {
        var dice = random.Next(100);
        var notes = $"v{random.Next():x}";
        if (live.Count == 0 || dice < 40)
        {
            // Now and then a lead comes back under the id it had before it was deleted.
            var id = deleted.Count > 0 && dice < 5 ? Take(deleted, random) : Guid.NewGuid();
            await connection.ExecuteAsync(
                "INSERT INTO leads (id, workspace_id, first_name, notes) VALUES (@id, @workspace, 'Sim', @notes)",
                new { id, workspace, notes }, transaction);
            live.Add(id);
        }
        else if (dice < 80)
        {
            await connection.ExecuteAsync(
                "UPDATE leads SET notes = @notes WHERE id = @id", new { id = live[random.Next(live.Count)], notes }, transaction);
        }
        else
        {
            var id = Take(live, random);
            await connection.ExecuteAsync("DELETE FROM leads WHERE id = @id", new { id }, transaction);
            deleted.Add(id);
        }
    }

    private static Guid Take(List<Guid> ids, Random random)
    {
        var index = random.Next(ids.Count);
        var id = ids[index];
        ids[index] = ids[^1];
        ids.RemoveAt(ids.Count - 1);
        return id;
    }

    private async Task<(int Missing, int Stale, int Undeleted)> CompareAsync(Guid workspace, Dictionary<Guid, JsonElement> copy)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var truth = (await connection.QueryAsync<(Guid Id, string? Notes, DateTime UpdatedAt)>(
            "SELECT id, notes, updated_at FROM leads WHERE workspace_id = @workspace", new { workspace })).ToList();
        var missing = truth.Count(t => !copy.ContainsKey(t.Id));
        var stale = truth.Count(t => copy.TryGetValue(t.Id, out var c)
            && (c.GetProperty("notes").GetString() != t.Notes
                || c.GetProperty("updated_at").GetString() != t.UpdatedAt.ToString(ListLeadsApiFormat, CultureInfo.InvariantCulture)));
        var ids = truth.Select(t => t.Id).ToHashSet();
        var undeleted = copy.Keys.Count(id => !ids.Contains(id));
        return (missing, stale, undeleted);
    }

    private const string ListLeadsApiFormat = Leads.ListLeadsApi.WatermarkFormat;

    private static DateTime ParseWatermark(string text) => Leads.ListLeadsApi.ParseWatermark(text);

    private async Task<DateTime> DatabaseNowAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<DateTime>("SELECT clock_timestamp()");
    }

    private static async Task ReportAsync(
        int changes, int transactions, int writers, int runs, List<double> lags, TimeSpan elapsed, int missing, int stale, int undeleted)
    {
        lags.Sort();
        double Percentile(double p) => lags.Count == 0 ? 0 : lags[Math.Min(lags.Count - 1, (int)Math.Ceiling(p * lags.Count) - 1)];
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{changes:N0} changes in {transactions:N0} transactions by {writers} writers over {elapsed.TotalSeconds:F0} s; {runs} sync runs; "
            + $"watermark lag p50 {Percentile(0.5):F1} s, p90 {Percentile(0.9):F1} s, p99 {Percentile(0.99):F1} s, max {Percentile(1):F1} s; "
            + $"rows missing {missing}, stale {stale}, undeleted {undeleted}");
        await TestContext.Progress.WriteLineAsync($"sync-sim: {summary}");
        if (Environment.GetEnvironmentVariable("SYNC_SIM_REPORT") is not { Length: > 0 } path)
        {
            return;
        }

        var report = new StringBuilder()
            .AppendLine("# Sync simulation (`make sync-sim`)")
            .AppendLine()
            .AppendLine("Real concurrent writers against PostgreSQL (inserts 40%, updates 40%, deletes 20%, some re-creations under a deleted id),")
            .AppendLine("each transaction held open for 0 to 20 s, while a partner runs `docs/examples/IncrementalSync.cs` (the README's recipe)")
            .AppendLine("every second through the API in-process. Settle lag 1 s, so the open transactions are what the watermark must respect.")
            .AppendLine("At the end the partner's copy is compared with the table, row by row (`notes` and `updated_at`).")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, {Machine()}")
            .AppendLine(CultureInfo.InvariantCulture, $"- Changes: {changes:N0} in {transactions:N0} transactions by {writers} writers over {elapsed.TotalSeconds:F0} s")
            .AppendLine(CultureInfo.InvariantCulture, $"- Sync runs: {runs:N0}")
            .AppendLine(CultureInfo.InvariantCulture, $"- Watermark lag behind the database clock: p50 {Percentile(0.5):F1} s, p90 {Percentile(0.9):F1} s, p99 {Percentile(0.99):F1} s, max {Percentile(1):F1} s")
            .AppendLine(CultureInfo.InvariantCulture, $"- Rows missing: {missing}; stale: {stale}; deleted but still in the copy: {undeleted}");
        await File.WriteAllTextAsync(path, report.ToString());
    }

    private static string Machine()
    {
        try
        {
            var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return model?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
