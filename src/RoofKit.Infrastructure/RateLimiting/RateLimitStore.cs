using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.RateLimiting;

namespace RoofKit.Infrastructure.RateLimiting;

/// <summary>
/// Fixed windows aligned to the clock, counted in PostgreSQL with one atomic upsert, so every API instance
/// sees one count: of N concurrent requests against a bucket with R left, exactly R are allowed.
/// </summary>
/// <remarks>
/// A bucket has at most one upsert on its way from this instance. The requests that arrive for it meanwhile are
/// counted together by the next one (<c>hits = hits + n</c>), and each takes its own place among the n positions the
/// upsert returns, in the order they arrived: the count stays exact across instances, and a key's concurrent requests
/// no longer queue on its counter's row lock one by one (ADR-010). A request with nothing of its bucket on its way is
/// sent at once, as before; one that queues waits for the rest of the upsert on its way, then for its own.
/// </remarks>
public sealed class RateLimitStore(NpgsqlDataSource primary, TimeProvider clock) : IRateLimitStore
{
    private const string Sql = """
        INSERT INTO rate_limit_counters AS c (bucket, window_start, hits, expires_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + excluded.hits
        RETURNING hits
        """;

    private readonly ConcurrentDictionary<string, BucketQueue> queues = new(StringComparer.Ordinal);

    public async Task<RateLimitDecision> HitAsync(string bucket, RateLimitRule rule, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var window = TimeSpan.FromSeconds(Math.Max(1, rule.WindowSeconds));
        var now = clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - (now.Ticks % window.Ticks), DateTimeKind.Utc);
        var hit = new Hit(rule, start, start + window);

        BucketQueue queue;
        while (true)
        {
            queue = queues.GetOrAdd(bucket, static _ => new BucketQueue());
            lock (queue)
            {
                if (queue.Retired)
                {
                    continue;
                }

                if (queue.Sending)
                {
                    queue.Waiting.Add(hit);
                    break;
                }

                queue.Sending = true;
            }

            // Nothing on its way for this bucket: this request's upsert goes now, alone (its own token may stop it while
            // it waits for a connection), and it sends the ones that queued behind it without waiting for them.
            await SendAsync(bucket, queue, [hit], cancellationToken);
            return await hit.Decision.Task;
        }

        // A request that gives up before its upsert is sent is taken out, uncounted; once sent, it is counted whether
        // it waits for the answer or not, as a request whose upsert was on its way always was.
        try
        {
            return await hit.Decision.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            bool sent;
            lock (queue)
            {
                sent = !queue.Waiting.Remove(hit);
            }

            if (sent)
            {
                // Nobody waits for the answer any more: a failure of the upsert it went with is observed here.
                _ = hit.Decision.Task.ContinueWith(
                    static task => task.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            throw;
        }
    }

    /// <summary>
    /// Sends what queued behind the last upsert, one upsert per window, until nothing is waiting; then the bucket's
    /// queue is retired, so the table holds only buckets with an upsert on its way.
    /// </summary>
    private void SendNext(string bucket, BucketQueue queue)
    {
        List<Hit> next;
        lock (queue)
        {
            if (queue.Waiting.Count == 0)
            {
                queue.Sending = false;
                queue.Retired = true;
                queues.TryRemove(new KeyValuePair<string, BucketQueue>(bucket, queue));
                return;
            }

            var window = queue.Waiting[0].WindowStart;
            next = queue.Waiting.FindAll(waiting => waiting.WindowStart == window);
            queue.Waiting.RemoveAll(waiting => waiting.WindowStart == window);
        }

        // Not in the context of the request that happened to finish last: no logging scope or trace of its own.
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Store.SendAsync(state.Bucket, state.Queue, state.Next, CancellationToken.None),
            (Store: this, Bucket: bucket, Queue: queue, Next: next),
            preferLocal: false);
    }

    /// <summary>Counts <paramref name="hits"/>, then sends what queued behind them.</summary>
    private async Task SendAsync(string bucket, BucketQueue queue, List<Hit> hits, CancellationToken cancellationToken)
    {
        await CountAsync(bucket, hits, cancellationToken);
        SendNext(bucket, queue);
    }

    /// <summary>
    /// One upsert for hits of one window, in arrival order. Once on a connection it is never cancelled (a cancelled
    /// command costs PostgreSQL a cancel request, a connection of its own; ADR-010), and for several hits no one of
    /// their requests may stop it: the command timeout bounds it. A lone request that gives up while waiting for a
    /// connection is not counted. A failure fails each of the hits.
    /// </summary>
    private async Task CountAsync(string bucket, List<Hit> hits, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await primary.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = bucket });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = hits[0].WindowStart });
            command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = hits.Count });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = hits[0].WindowEnd });
            var total = (int)(await command.ExecuteScalarAsync(CancellationToken.None))!;
            var first = total - hits.Count + 1;
            for (var i = 0; i < hits.Count; i++)
            {
                var position = first + i;
                var rule = hits[i].Rule;
                hits[i].Decision.TrySetResult(new RateLimitDecision(
                    rule.PermitLimit, Math.Max(0, rule.PermitLimit - position), hits[i].WindowEnd, position <= rule.PermitLimit));
            }
        }
        catch (Exception ex)
        {
            var canceled = ex is OperationCanceledException && cancellationToken.IsCancellationRequested;
            foreach (var hit in hits)
            {
                _ = canceled ? hit.Decision.TrySetCanceled(cancellationToken) : hit.Decision.TrySetException(ex);
            }
        }
    }

    private sealed class Hit(RateLimitRule rule, DateTime windowStart, DateTime windowEnd)
    {
        public RateLimitRule Rule { get; } = rule;

        public DateTime WindowStart { get; } = windowStart;

        public DateTime WindowEnd { get; } = windowEnd;

        public TaskCompletionSource<RateLimitDecision> Decision { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A bucket's upsert on its way and the hits waiting for the next; guarded by its own lock.</summary>
    private sealed class BucketQueue
    {
        public bool Sending { get; set; }

        public bool Retired { get; set; }

        public List<Hit> Waiting { get; } = [];
    }
}
