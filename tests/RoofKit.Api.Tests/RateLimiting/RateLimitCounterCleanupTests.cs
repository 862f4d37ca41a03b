using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Infrastructure.RateLimiting;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>
/// The cleanup of ended windows, one pass at a time, on counters written by the production store. The times lie in
/// 2100, so the cleanup that a running host does on the real clock never touches them.
/// </summary>
public sealed class RateLimitCounterCleanupTests : ApiTestBase
{
    private static readonly RateLimitRule Rule = new() { PermitLimit = 10, WindowSeconds = 60 };
    private static readonly DateTimeOffset Start = new(2100, 1, 1, 10, 14, 30, TimeSpan.Zero);

    // Each test counts exactly what a pass deletes, so it starts from an empty table (no host of this fixture counts).
    [SetUp]
    public async Task EmptyCountersAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync("DELETE FROM rate_limit_counters");
    }

    [Test]
    public async Task ShouldDeleteOnlyCountersWhoseWindowHasEnded()
    {
        var clock = new TestClock(Start);
        var store = new RateLimitStore(Db, clock);
        var cleanup = CleanupAfterGrace(clock);
        var a = $"cleanup-a-{Guid.NewGuid():N}";
        var b = $"cleanup-b-{Guid.NewGuid():N}";
        await store.HitAsync(a, Rule, CancellationToken.None);
        await store.HitAsync(a, Rule, CancellationToken.None);

        // Inside the window nothing is due.
        (await cleanup.DeleteExpiredAsync(CancellationToken.None)).Should().Be(0);
        (await RowsAsync(a)).Should().Equal(new DateTime(2100, 1, 1, 10, 15, 0, DateTimeKind.Utc));

        clock.Set(Start.AddSeconds(40));
        await store.HitAsync(a, Rule, CancellationToken.None);
        await store.HitAsync(b, Rule, CancellationToken.None);

        (await cleanup.DeleteExpiredAsync(CancellationToken.None)).Should().Be(1);
        (await RowsAsync(a)).Should().Equal(new DateTime(2100, 1, 1, 10, 16, 0, DateTimeKind.Utc));
        (await RowsAsync(b)).Should().Equal(new DateTime(2100, 1, 1, 10, 16, 0, DateTimeKind.Utc));

        // The live window kept its count through the pass.
        (await store.HitAsync(a, Rule, CancellationToken.None)).Remaining.Should().Be(Rule.PermitLimit - 2);

        clock.Set(new DateTimeOffset(2100, 1, 1, 10, 16, 0, 1, TimeSpan.Zero));
        (await cleanup.DeleteExpiredAsync(CancellationToken.None)).Should().Be(2);
        (await RowsAsync(a)).Should().BeEmpty();
        (await RowsAsync(b)).Should().BeEmpty();
    }

    [Test]
    public async Task ShouldDeleteInBatchesUntilNoEndedWindowIsLeft()
    {
        var prefix = $"cleanup-batch-{Guid.NewGuid():N}-";
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO rate_limit_counters (bucket, window_start, hits, expires_at)
                SELECT @Prefix || i, @Ended - interval '60 seconds', 1, @Ended FROM generate_series(1, 12001) AS i
                UNION ALL
                SELECT @Prefix || 'live-' || i, @Ended, 1, @Ended + interval '60 seconds' FROM generate_series(1, 3) AS i
                """, new { Prefix = prefix, Ended = Start.UtcDateTime });
        }

        var cleanup = CleanupAfterGrace(new TestClock(Start.AddSeconds(1)));

        (await cleanup.DeleteExpiredAsync(CancellationToken.None)).Should().Be(12001);

        await using var check = await Db.OpenConnectionAsync();
        (await check.QuerySingleAsync<int>(
            "SELECT count(*)::int FROM rate_limit_counters WHERE bucket LIKE @Prefix || '%'", new { Prefix = prefix }))
            .Should().Be(3);
    }

    [Test]
    public async Task ShouldNotWaitForARequestThatHoldsTheCurrentWindow()
    {
        var clock = new TestClock(Start);
        var store = new RateLimitStore(Db, clock);
        var ended = $"cleanup-ended-{Guid.NewGuid():N}";
        var live = $"cleanup-live-{Guid.NewGuid():N}";
        await store.HitAsync(ended, Rule, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(60));
        await store.HitAsync(live, Rule, CancellationToken.None);

        // An open transaction holds the live counter's row lock, as a request's upsert does while it runs.
        await using var request = await Db.OpenConnectionAsync();
        await using var transaction = await request.BeginTransactionAsync();
        await request.ExecuteAsync(
            "UPDATE rate_limit_counters SET hits = hits + 1 WHERE bucket = @Live", new { Live = live }, transaction);

        // A generous guard against a hang, not a timing assertion: a cleanup that waited on the lock would never end.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var cleanup = CleanupAfterGrace(clock);
        (await cleanup.DeleteExpiredAsync(guard.Token)).Should().Be(1);

        await transaction.RollbackAsync();
        (await RowsAsync(ended)).Should().BeEmpty();
        (await RowsAsync(live)).Should().HaveCount(1);
    }

    /// <summary>
    /// A hit that arrived in a window but reaches the table after it ended (it waited for a connection, or behind its
    /// bucket's last upsert) is counted against that window's count, not against a row started again.
    /// </summary>
    [Test]
    public async Task ShouldKeepAnEndedWindowsCountForTheHitsStillOnTheirWay()
    {
        var rule = new RateLimitRule { PermitLimit = 2, WindowSeconds = 60 };
        var bucket = $"cleanup-late-{Guid.NewGuid():N}";
        var store = new RateLimitStore(Db, new TestClock(Start));
        (await store.HitAsync(bucket, rule, CancellationToken.None)).Allowed.Should().BeTrue();
        (await store.HitAsync(bucket, rule, CancellationToken.None)).Allowed.Should().BeTrue();

        // The window (10:14-10:15) ended a second ago when the pass runs; a hit of that window is still on its way.
        var cleanup = new RateLimitCounterCleanup(Db, new TestClock(Start.AddSeconds(31)), NullLogger<RateLimitCounterCleanup>.Instance);
        (await cleanup.DeleteExpiredAsync(CancellationToken.None)).Should().Be(0);
        var late = await store.HitAsync(bucket, rule, CancellationToken.None);

        late.Allowed.Should().BeFalse();
        late.Remaining.Should().Be(0);
        (await RowsAsync(bucket)).Should().HaveCount(1);

        // After the grace it goes.
        var later = new RateLimitCounterCleanup(
            Db, new TestClock(Start.AddSeconds(30) + RateLimitCounterCleanup.Grace + TimeSpan.FromMilliseconds(1)), NullLogger<RateLimitCounterCleanup>.Instance);
        (await later.DeleteExpiredAsync(CancellationToken.None)).Should().Be(1);
        (await RowsAsync(bucket)).Should().BeEmpty();
    }

    [Test]
    public void ShouldRunAsABackgroundServiceOfTheApi()
    {
        Factory.Services.GetServices<IHostedService>().OfType<RateLimitCounterCleanup>().Should().ContainSingle();
    }

    /// <summary>A cleanup whose passes run <see cref="RateLimitCounterCleanup.Grace"/> after the store's clock.</summary>
    private RateLimitCounterCleanup CleanupAfterGrace(TimeProvider storeClock) =>
        new(Db, new LaterBy(storeClock, RateLimitCounterCleanup.Grace), NullLogger<RateLimitCounterCleanup>.Instance);

    private async Task<List<DateTime>> RowsAsync(string bucket)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<DateTime>(
            "SELECT expires_at FROM rate_limit_counters WHERE bucket = @Bucket ORDER BY expires_at", new { Bucket = bucket })).ToList();
    }

    private sealed class LaterBy(TimeProvider clock, TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow() + by;
    }
}
