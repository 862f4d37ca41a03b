using System.Net;
using System.Net.Sockets;
using Dapper;
using RoofKit.Api.Tests.Reliability;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Leads;

/// <summary>
/// Fair share and slow clients (CONTRACT.md §4, §7) over real Kestrel with small pools: one workspace's slow exports
/// cannot starve another workspace, a slow reader gets its whole segment and holds no database session while it
/// reads, and a burst beyond the workspace's export slots is refused with 429 concurrency_limited.
/// </summary>
public sealed class ExportFairShareTests : ApiTestBase
{
    private Uri server = null!;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // Pools small enough that an export holding a connection while its client reads would exhaust them.
        ["Database:MaxPoolSize"] = "4",
        ["Database:ReadMaxPoolSize"] = "4",
        // A slow client outlasting the statement timeout lost rows when the query streamed into the response.
        ["Database:StatementTimeoutSeconds"] = "5",
        ["Exports:MaxConcurrentPerWorkspace"] = "4",
        ["RateLimits:Export:PermitLimit"] = "1000",
        ["RateLimits:List:PermitLimit"] = "1000",
    };

    protected override Task OneTimeSetUpAsync()
    {
        server = Kestrel.Start(Factory);
        return Task.CompletedTask;
    }

    [Test]
    public async Task ShouldServeOtherWorkspacesWhileOneRunsItsMaximumOfSlowExports()
    {
        var (_, busyToken) = await WorkspaceWithLeadsAsync(10_000, notesLength: 2_000);
        var (_, otherToken) = await WorkspaceWithLeadsAsync(50);

        // Eight slow readers of the busy workspace: four get a slot and read at 20 KB/s, the rest are refused.
        using var stop = new CancellationTokenSource();
        var attempts = Enumerable.Range(0, 8).Select(_ => SlowExportAsync(busyToken, 20_000, stop.Token)).ToList();
        var started = await Task.WhenAll(attempts.Select(a => a.Started));
        started.Count(s => s == HttpStatusCode.OK).Should().Be(4, "the workspace has 4 export slots");
        started.Count(s => s == HttpStatusCode.TooManyRequests).Should().Be(4);

        var other = Kestrel.Client(server, otherToken);
        for (var i = 0; i < 10; i++)
        {
            using var list = await other.GetAsync("/api/v1/leads?limit=10");
            ((int)list.StatusCode).Should().Be(200, await list.Content.ReadAsStringAsync());
            using var export = await other.GetAsync("/api/v1/leads/export?limit=10");
            ((int)export.StatusCode).Should().Be(200, await export.Content.ReadAsStringAsync());
            using var stages = await other.GetAsync("/api/v1/status-stages");
            ((int)stages.StatusCode).Should().Be(200, await stages.Content.ReadAsStringAsync());
            using var health = await other.GetAsync("/healthz");
            ((int)health.StatusCode).Should().Be(200, await health.Content.ReadAsStringAsync());
        }

        attempts.Where(a => a.Started.Result == HttpStatusCode.OK).Should().OnlyContain(a => !a.Finished.IsCompleted,
            "the busy workspace's readers are still reading while the other workspace is served");
        await stop.CancelAsync();
        await Task.WhenAll(attempts.Select(a => a.Finished));
    }

    [Test]
    public async Task ShouldAnswer429ConcurrencyLimitedWithRetryAfterOneWhenTheSlotsAreTaken()
    {
        var (_, token) = await WorkspaceWithLeadsAsync(10_000, notesLength: 2_000);
        using var stop = new CancellationTokenSource();
        var holders = Enumerable.Range(0, 4).Select(_ => SlowExportAsync(token, 10_000, stop.Token)).ToList();
        (await Task.WhenAll(holders.Select(h => h.Started))).Should().OnlyContain(s => s == HttpStatusCode.OK);

        using var refused = await Kestrel.Client(server, token).GetAsync("/api/v1/leads/export?limit=10");

        var error = await ErrorAsync(refused, 429, "concurrency_limited");
        error.GetProperty("message").GetString().Should().Contain("exports in progress");
        refused.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        refused.Headers.Contains("X-RateLimit-Remaining").Should().BeTrue("the request reached the key's bucket");
        await stop.CancelAsync();
        await Task.WhenAll(holders.Select(h => h.Finished));

        // The slots come back when the responses end, aborted or not (Kestrel notices a reset on its next write).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var again = await Kestrel.Client(server, token).GetAsync("/api/v1/leads/export?limit=10");
            status = again.StatusCode;
        }
        while (status != HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromSeconds(20));
        status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task ShouldGiveASlowReaderItsWholeSegmentWithoutHoldingADatabaseSession()
    {
        var (workspace, token) = await WorkspaceWithLeadsAsync(10_000);

        var reader = SlowExportAsync(token, 50_000, CancellationToken.None, onQuarterRead: async () =>
        {
            // The client has read a quarter of its segment (some 5 s at 50 KB/s); the database read finished long ago.
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.QuerySingleAsync<int>(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'roofkit-api%' AND state <> 'idle'");
        });

        (await reader.Started).Should().Be(HttpStatusCode.OK);
        var (body, busySessions) = await reader.Finished;
        busySessions.Should().Be(0, "no session of the API is working or in a transaction while the client reads");
        var rows = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        rows.Should().HaveCount(10_001, "the header row and every one of the 10,000 rows arrive");
        await using var db = await Db.OpenConnectionAsync();
        var ids = (await db.QueryAsync<Guid>("SELECT id FROM leads WHERE workspace_id = @workspace ORDER BY updated_at, id", new { workspace })).ToList();
        rows.Skip(1).Select(r => Guid.Parse(r[..36])).Should().Equal(ids);
    }

    [Test]
    public async Task ShouldAnswerABurstOfExportsOnAColdPoolWithSuccessOrConcurrencyLimited()
    {
        var (_, token) = await WorkspaceWithLeadsAsync(2_000);
        await using var factory = new ApiFactory(AssemblyDatabase.Database.ConnectionString, Settings);
        var cold = Kestrel.Start(factory);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var client = Kestrel.Client(cold, token);
            using var response = await client.GetAsync("/api/v1/leads/export");
            var body = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, body);
        }));

        responses.Where(r => r.Item1 != 200 && r.Item1 != 429).Should().BeEmpty();
        responses.Where(r => r.Item1 == 429).Should().OnlyContain(r => r.body.Contains("\"concurrency_limited\""));
        responses.Count(r => r.Item1 == 200).Should().BeGreaterThanOrEqualTo(4);
    }

    private sealed record SlowExport(Task<HttpStatusCode> Started, Task<(string Body, int BusySessions)> Finished);

    /// <summary>
    /// Starts an export and reads it at <paramref name="bytesPerSecond"/> through a 16 KiB socket buffer, so the
    /// server really waits for the client; <paramref name="stop"/> aborts the reading.
    /// </summary>
    private SlowExport SlowExportAsync(string token, int bytesPerSecond, CancellationToken stop, Func<Task<int>>? onQuarterRead = null)
    {
        var started = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = Task.Run(async () =>
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024, NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await client.GetAsync("/api/v1/leads/export", HttpCompletionOption.ResponseHeadersRead);
            started.TrySetResult(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return ("", 0);
            }

            await using var stream = await response.Content.ReadAsStreamAsync();
            using var body = new MemoryStream();
            var buffer = new byte[bytesPerSecond / 10];
            var busy = -1;
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, stop)) > 0)
                {
                    body.Write(buffer, 0, read);
                    if (busy < 0 && onQuarterRead is not null && body.Length >= 10_000 * 110 / 4)
                    {
                        busy = await onQuarterRead();
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(100.0 * read / buffer.Length), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return ("", busy);
            }

            return (System.Text.Encoding.UTF8.GetString(body.ToArray()), busy);
        });
        finished.ContinueWith(t => started.TrySetException(t.Exception ?? new Exception("no response")), TaskContinuationOptions.NotOnRanToCompletion);
        return new SlowExport(started.Task, finished);
    }

    /// <summary>
    /// A workspace with this many leads and a key for export and list. Small leads are about 110 bytes of CSV each;
    /// with <paramref name="notesLength"/>, a segment outgrows every socket buffer, so its response lasts as long as its
    /// slow reader does.
    /// </summary>
    private async Task<(Guid Workspace, string Token)> WorkspaceWithLeadsAsync(int leads, int notesLength = 0)
    {
        var workspace = (await Data.WorkspaceAsync()).Id;
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO leads (id, workspace_id, first_name, notes, created_at, updated_at)
            SELECT gen_random_uuid(), @workspace, 'Lead ' || n, nullif(repeat('n', @notesLength), ''),
                   now() - interval '1 day', now() - interval '1 day' + n * interval '1 ms'
            FROM generate_series(1, @leads) n
            """, new { workspace, leads, notesLength });
        var (_, token) = await Data.KeyAsync(workspace, "leads.read", "leads.export");
        return (workspace, token);
    }
}
