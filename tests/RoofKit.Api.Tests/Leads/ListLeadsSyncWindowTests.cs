using Dapper;
using RoofKit.Api.Tests.Support;
using RoofKit.Testing;
using static RoofKit.Api.Tests.Leads.ListLeadsApi;

namespace RoofKit.Api.Tests.Leads;

/// <summary>
/// The sync window of CONTRACT.md §6 with a settle lag of 30 s and a clock the tests move: rows newer than the
/// lag wait for the next run, one run keeps one window, and X-Sync-Watermark says where the next run starts.
/// </summary>
public sealed class ListLeadsSyncWindowTests : ApiTestBase
{
    private const int SettleLagSeconds = 30;

    private readonly TestClock clock = new(new DateTimeOffset(2026, 4, 15, 14, 0, 0, TimeSpan.Zero));

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Sync:SettleLagSeconds"] = SettleLagSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:List:PermitLimit"] = "100000",
    };

    protected override TimeProvider? Clock => clock;

    [Test]
    public async Task ShouldLeaveOutRowsNewerThanTheSettleLagUntilTheNextRun()
    {
        var (workspace, client) = await WorkspaceAsync();
        var now = clock.GetUtcNow().UtcDateTime;
        var old = await Data.LeadAsync(workspace, now.AddMinutes(-10));
        var atBoundary = await Data.LeadAsync(workspace, now.AddSeconds(-SettleLagSeconds));
        var justInside = await Data.LeadAsync(workspace, now.AddSeconds(-SettleLagSeconds).AddMilliseconds(1));
        var recent = await Data.LeadAsync(workspace, now.AddSeconds(-5));
        var current = await Data.LeadAsync(workspace, now);
        var ahead = await Data.LeadAsync(workspace, now.AddSeconds(3)); // another server's clock runs ahead

        var run1 = await ReadAllAsync(client, "", 2);

        run1.Watermark.Should().Be(Format(now.AddSeconds(-SettleLagSeconds)));
        run1.Ids.Should().Equal(old, atBoundary);

        clock.Advance(TimeSpan.FromMinutes(1));
        var run2 = await ReadAllAsync(client, $"from={run1.Watermark}", 2);

        run2.Watermark.Should().Be(Format(now.AddSeconds(60 - SettleLagSeconds)));
        run2.Ids.Should().Equal([atBoundary, justInside, recent, current, ahead],
            "the next run starts at the watermark, inclusive: the boundary row comes twice, nothing is lost");
    }

    [Test]
    public async Task ShouldKeepTheFirstPagesWindowForTheWholeRun()
    {
        var (workspace, client) = await WorkspaceAsync();
        var now = clock.GetUtcNow().UtcDateTime;
        var ids = new List<Guid>();
        for (var i = 0; i < 9; i++)
        {
            ids.Add(await Data.LeadAsync(workspace, now.AddMinutes(-20 + i)));
        }

        var first = await PageAsync(client, "limit=3");
        first.Ids.Should().Equal(ids.Take(3));
        var watermark = ParseWatermark(first.Watermark);
        watermark.Should().Be(now.AddSeconds(-SettleLagSeconds));

        // While the run goes on, time passes and rows arrive: one whose update committed late (its updated_at is
        // inside the window and after the run's position), and one from after the window.
        clock.Advance(TimeSpan.FromHours(1));
        var lateCommit = await Data.LeadAsync(workspace, now.AddMinutes(-1));
        var afterWindow = await Data.LeadAsync(workspace, now.AddMinutes(5));

        var pages = new List<ListPage> { first };
        while (pages[^1].HasMore)
        {
            pages.Add(await PageAsync(client, $"cursor={pages[^1].NextCursor}&limit=3"));
        }

        pages.Should().OnlyContain(p => p.Watermark == first.Watermark);
        pages.SelectMany(p => p.Ids).Should().Equal([.. ids, lateCommit]);

        var next = await ReadAllAsync(client, $"from={first.Watermark}", 3);

        next.Ids.Should().Equal(afterWindow);
        next.Watermark.Should().Be(Format(now.AddHours(1).AddSeconds(-SettleLagSeconds)));
    }

    [Test]
    public async Task ShouldSyncIncrementallyWithoutLosingALead()
    {
        // A partner syncs every 20 s while leads keep arriving, some of them with updated_at a little in the past
        // (transactions that commit late, within the settle lag). Upserting every run by id leaves it with all.
        var (workspace, client) = await WorkspaceAsync();
        var written = new List<Guid>();
        var seen = new HashSet<Guid>();
        string? from = null;
        for (var round = 0; round < 12; round++)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var lagMs in new[] { 0, 900, 4_000, 12_500, 29_999 })
            {
                written.Add(await Data.LeadAsync(workspace, now.AddMilliseconds(-lagMs).AddTicks((round + 1) * 10)));
            }

            var run = await ReadAllAsync(client, from is null ? "" : $"from={from}", 4);
            seen.UnionWith(run.Ids);
            from = run.Watermark;
            clock.Advance(TimeSpan.FromSeconds(20));
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        seen.UnionWith((await ReadAllAsync(client, $"from={from}", 50)).Ids);

        seen.Should().BeEquivalentTo(written);
    }

    [Test]
    public async Task ShouldEndTheWindowAtToWhenToIsEarlier()
    {
        var (workspace, client) = await WorkspaceAsync();
        var now = clock.GetUtcNow().UtcDateTime;
        // Timestamps are kept at millisecond precision, the precision they are shown in (CONTRACT.md §6).
        var to = now.AddHours(-2).AddMilliseconds(123);
        var inside = await Data.LeadAsync(workspace, to);
        await Data.LeadAsync(workspace, to.AddMilliseconds(1));

        var run = await ReadAllAsync(client, $"to={Rfc3339(to)}");

        run.Ids.Should().Equal(inside);
        run.Watermark.Should().Be(Format(to));
    }

    [Test]
    public async Task ShouldStateTheWatermarkOnAnEmptyPage()
    {
        var (_, client) = await WorkspaceAsync();

        var page = await PageAsync(client, "");

        page.Data.Should().BeEmpty();
        page.HasMore.Should().BeFalse();
        page.Watermark.Should().Be(Format(clock.GetUtcNow().UtcDateTime.AddSeconds(-SettleLagSeconds)));
    }

    private static string Format(DateTime utc) => utc.ToString(WatermarkFormat, System.Globalization.CultureInfo.InvariantCulture);
}
