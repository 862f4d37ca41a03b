using Dapper;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Infrastructure.RateLimiting;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>
/// The production store against PostgreSQL: the requests that arrive for a bucket while its upsert is on its way are
/// counted by one upsert, each in its own place (ADR-010). The times lie in 2100, away from any host's real windows.
/// </summary>
public sealed class RateLimitStoreTests : ApiTestBase
{
    private static readonly RateLimitRule Rule = new() { PermitLimit = 30, WindowSeconds = 60 };
    private static readonly DateTimeOffset Start = new(2100, 1, 1, 10, 14, 30, TimeSpan.Zero);

    [Test]
    public async Task ShouldCountTheHitsThatQueueBehindAnUpsertWithOneMoreEachInItsOwnPlace()
    {
        var bucket = $"store-batch-{Guid.NewGuid():N}";
        var store = new RateLimitStore(Db, new TestClock(Start));
        (await store.HitAsync(bucket, Rule, CancellationToken.None)).Remaining.Should().Be(29);

        await using var log = await StatementLogAsync(bucket);

        // The counter's row is locked, so the next upsert waits on it and 40 more hits arrive while it is on its way.
        await using var rowLock = await CounterRowLock.TakeAsync(Db, bucket);
        var hits = Enumerable.Range(0, 41).Select(_ => store.HitAsync(bucket, Rule, CancellationToken.None)).ToList();
        await Eventually.UntilAsync(async () => await WaitingOnTheRowAsync() >= 1, "the first upsert waits on the row lock");
        await rowLock.ReleaseAsync();
        var decisions = await Task.WhenAll(hits);

        // 1 counted before, 41 now: positions 2 to 42, each once, in the order the hits arrived.
        decisions.Select(decision => decision.Remaining).Should().Equal(
            Enumerable.Range(2, 41).Select(position => Math.Max(0, Rule.PermitLimit - position)));
        decisions.Count(decision => decision.Allowed).Should().Be(Rule.PermitLimit - 1);
        decisions.Should().OnlyContain(decision => decision.ResetAt == new DateTime(2100, 1, 1, 10, 15, 0, DateTimeKind.Utc));

        // Two upserts reached the table: the one that waited, and one for the 40 that queued behind it.
        (await log.HitsAsync()).Should().Equal(2, 42);
        (await CountAsync(bucket)).Should().Be(42);
    }

    [Test]
    public async Task ShouldCountEachQueuedHitInTheWindowItArrivedIn()
    {
        var bucket = $"store-windows-{Guid.NewGuid():N}";
        var clock = new TestClock(Start);
        var store = new RateLimitStore(Db, clock);
        await store.HitAsync(bucket, Rule, CancellationToken.None);

        await using var rowLock = await CounterRowLock.TakeAsync(Db, bucket);
        var first = Enumerable.Range(0, 4).Select(_ => store.HitAsync(bucket, Rule, CancellationToken.None)).ToList();
        clock.Set(Start.AddSeconds(35));
        var second = Enumerable.Range(0, 3).Select(_ => store.HitAsync(bucket, Rule, CancellationToken.None)).ToList();
        clock.Set(Start);
        var third = Enumerable.Range(0, 2).Select(_ => store.HitAsync(bucket, Rule, CancellationToken.None)).ToList();
        await Eventually.UntilAsync(async () => await WaitingOnTheRowAsync() >= 1, "the first upsert waits on the row lock");
        await rowLock.ReleaseAsync();

        var inFirstWindow = await Task.WhenAll(first.Concat(third));
        var inSecondWindow = await Task.WhenAll(second);
        inFirstWindow.Select(decision => decision.Remaining).Order().Should().Equal(23, 24, 25, 26, 27, 28);
        inFirstWindow.Should().OnlyContain(decision => decision.ResetAt == new DateTime(2100, 1, 1, 10, 15, 0, DateTimeKind.Utc));
        inSecondWindow.Select(decision => decision.Remaining).Order().Should().Equal(27, 28, 29);
        inSecondWindow.Should().OnlyContain(decision => decision.ResetAt == new DateTime(2100, 1, 1, 10, 16, 0, DateTimeKind.Utc));
    }

    [Test]
    public async Task ShouldFailEveryHitOfAnUpsertThatTimesOutAndCountAgainOnTheSameInstanceAfterwards()
    {
        var bucket = $"store-timeout-{Guid.NewGuid():N}";
        var impatient = new NpgsqlConnectionStringBuilder(AssemblyDatabase.Database.ConnectionString) { CommandTimeout = 1 };
        await using var dataSource = NpgsqlDataSource.Create(impatient.ConnectionString);
        var store = new RateLimitStore(dataSource, new TestClock(Start));
        await store.HitAsync(bucket, Rule, CancellationToken.None);

        // The row stays locked past the command timeout: the upsert on its way fails, then the one for those behind it.
        await using (var rowLock = await CounterRowLock.TakeAsync(Db, bucket))
        {
            var hits = Enumerable.Range(0, 6).Select(_ => store.HitAsync(bucket, Rule, CancellationToken.None)).ToList();
            foreach (var hit in hits)
            {
                await hit.Invoking(async task => await task).Should().ThrowAsync<NpgsqlException>();
            }

            await rowLock.ReleaseAsync();
        }

        // The same store counts again (its queue for the bucket was not left waiting), and the failed hits were not counted.
        (await store.HitAsync(bucket, Rule, CancellationToken.None)).Remaining.Should().Be(Rule.PermitLimit - 2);
    }

    [Test]
    public async Task ShouldNotCountAQueuedHitWhoseRequestGaveUpBeforeItWasSent()
    {
        var bucket = $"store-cancel-{Guid.NewGuid():N}";
        var store = new RateLimitStore(Db, new TestClock(Start));
        await store.HitAsync(bucket, Rule, CancellationToken.None);

        await using var rowLock = await CounterRowLock.TakeAsync(Db, bucket);
        var onItsWay = store.HitAsync(bucket, Rule, CancellationToken.None);
        using var gaveUp = new CancellationTokenSource();
        var queued = store.HitAsync(bucket, Rule, gaveUp.Token);
        await Eventually.UntilAsync(async () => await WaitingOnTheRowAsync() >= 1, "the upsert on its way waits on the row lock");

        await gaveUp.CancelAsync();
        await queued.Invoking(async task => await task).Should().ThrowAsync<OperationCanceledException>();
        await rowLock.ReleaseAsync();

        (await onItsWay).Remaining.Should().Be(Rule.PermitLimit - 2);
        (await store.HitAsync(bucket, Rule, CancellationToken.None)).Remaining.Should().Be(Rule.PermitLimit - 3);
    }

    [Test]
    public async Task ShouldNeitherSendNorCountAHitWhoseRequestHasAlreadyGivenUp()
    {
        var bucket = $"store-cancelled-{Guid.NewGuid():N}";
        var store = new RateLimitStore(Db, new TestClock(Start));

        await store.Invoking(s => s.HitAsync(bucket, Rule, new CancellationToken(canceled: true)))
            .Should().ThrowAsync<OperationCanceledException>();

        (await store.HitAsync(bucket, Rule, CancellationToken.None)).Remaining.Should().Be(Rule.PermitLimit - 1);
    }

    /// <summary>An open transaction that holds a counter's row lock, as a request's upsert does while it runs.</summary>
    private sealed class CounterRowLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public static async Task<CounterRowLock> TakeAsync(NpgsqlDataSource db, string bucket)
        {
            var connection = await db.OpenConnectionAsync();
            var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(
                "UPDATE rate_limit_counters SET hits = hits WHERE bucket = @Bucket", new { Bucket = bucket }, transaction);
            return new CounterRowLock(connection, transaction);
        }

        public Task ReleaseAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private async Task<int> WaitingOnTheRowAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<int>("""
            SELECT count(*)::int FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO rate_limit_counters%'
            """);
    }

    private async Task<int> CountAsync(string bucket)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<int>("SELECT hits FROM rate_limit_counters WHERE bucket = @Bucket", new { Bucket = bucket });
    }

    /// <summary>A row trigger that logs the count each upsert of one bucket leaves, for as long as the test runs.</summary>
    private async Task<StatementLog> StatementLogAsync(string bucket)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync($"""
            CREATE TABLE test_counter_upserts (n bigserial PRIMARY KEY, hits int NOT NULL);
            CREATE FUNCTION test_log_counter_upsert() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN INSERT INTO test_counter_upserts (hits) VALUES (NEW.hits); RETURN NULL; END $$;
            CREATE TRIGGER test_log_counter_upsert AFTER INSERT OR UPDATE ON rate_limit_counters
                FOR EACH ROW WHEN (NEW.bucket = '{bucket}') EXECUTE FUNCTION test_log_counter_upsert();
            """);
        return new StatementLog(Db);
    }

    private sealed class StatementLog(NpgsqlDataSource db) : IAsyncDisposable
    {
        public async Task<List<int>> HitsAsync()
        {
            await using var connection = await db.OpenConnectionAsync();
            return (await connection.QueryAsync<int>("SELECT hits FROM test_counter_upserts ORDER BY n")).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            await using var connection = await db.OpenConnectionAsync();
            await connection.ExecuteAsync("""
                DROP TRIGGER test_log_counter_upsert ON rate_limit_counters;
                DROP FUNCTION test_log_counter_upsert();
                DROP TABLE test_counter_upserts;
                """);
        }
    }
}
