using System.Net;
using System.Net.Sockets;
using System.Text;
using Dapper;
using Npgsql;
using RoofKit.Testing;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Clients that hang up during an export, over real TCP (Kestrel), against a database server of the test's own (so
/// that no other fixture's connections count, and its log can be read). An abort in the middle of the body ends the
/// segment's read if it is still running and deletes its spilled buffer; an abort while the segment is being read
/// cancels the statement (the test holds a lock on leads, so the statement is certainly still running when the client
/// hangs up, and can only end by being cancelled). After a hundred of them the pools are idle, no temporary file is
/// left, memory is where it was, and the API serves whole exports as before.
/// </summary>
public sealed class ClientAbortTests
{
    private const int Aborts = 100;
    private const int ReadBeforeAbort = 32 * 1024;

    /// <summary>Generous: the in-process API shares the heap with the test runner.</summary>
    private const long MemoryGrowthBound = 50L * 1024 * 1024;

    /// <summary>The API's connections that are doing something: a statement running, or a transaction open.</summary>
    private const string BusySql = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'roofkit-api%' AND state <> 'idle'
        """;

    private const string ExportingSql = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'roofkit-api%' AND state <> 'idle'
          AND query ILIKE '%FROM leads l%'
        """;

    /// <summary>The export's statement, running and waiting for the lock that the test holds on leads.</summary>
    private const string BlockedSql = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'roofkit-api%' AND state = 'active'
          AND wait_event_type = 'Lock' AND query ILIKE '%FROM leads l%'
        """;

    private readonly string spillDirectory = Path.Combine(Path.GetTempPath(), $"roofkit-aborts-{Guid.NewGuid():N}");

    private PrivatePostgres postgres = null!;
    private NpgsqlDataSource db = null!;
    private ApiFactory factory = null!;
    private string key = "";
    private Uri address = null!;
    private DnsEndPoint server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        postgres = await PrivatePostgres.StartAsync();
        var connectionString = await postgres.CreateMigratedDatabaseAsync("roofkit_aborts");
        db = NpgsqlDataSource.Create(connectionString);
        var data = new TestData(db);
        var workspace = await data.WorkspaceAsync();
        await data.SeedAsync(workspace.Id, 30_000, seed: 7);
        key = (await data.KeyAsync(workspace.Id)).Token;

        factory = new ApiFactory(connectionString, new Dictionary<string, string?>
        {
            ["RateLimits:Export:PermitLimit"] = "100000",
            ["Exports:TemporaryDirectory"] = spillDirectory,
            // Every aborted segment spills, so the test sees that spilled files go with their response.
            ["Exports:BufferInMemoryBytes"] = "65536",
            // A statement blocked on the test's lock must end by the client's cancel or not at all, never by the timeout.
            ["Database:StatementTimeoutSeconds"] = "3600",
        });
        address = Kestrel.Start(factory);
        server = new DnsEndPoint(address.Host, address.Port);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await factory.DisposeAsync();
        await db.DisposeAsync();
        await postgres.DisposeAsync();
    }

    [Test]
    public async Task ShouldCancelTheExportQueriesOfClientsThatDisconnectAndReturnToIdleAndBaseline()
    {
        // Warm up JIT, pools and buffers, so the baseline is the working size, not the cold one.
        for (var i = 0; i < 10; i++)
        {
            await AbortExportAsync();
        }

        await WaitUntilIdleAsync("the warm-up's exports must end");
        var baseline = ManagedMemory();

        for (var i = 0; i < Aborts; i++)
        {
            await AbortExportAsync();
        }

        await WaitUntilIdleAsync("the statements of the exports aborted in mid-body must end");
        var cancelledBefore = Count(postgres.Log(), "canceling statement due to user request");
        await using (var connection = await db.OpenConnectionAsync())
        await using (var lockOnLeads = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE", transaction: lockOnLeads);
            for (var i = 0; i < Aborts / 5; i++)
            {
                await AbortWhileReadingAsync();
            }

            await lockOnLeads.RollbackAsync();
        }

        await WaitUntilIdleAsync("no query or transaction of an aborted export may live on");
        await using (var connection = await db.OpenConnectionAsync())
        {
            var open = await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'roofkit-api%'");
            open.Should().BeLessThan(10, "aborted exports must give their connections back to the pool, not leak them");
        }

        await WaitForNoSpilledFilesAsync();

        var growth = ManagedMemory() - baseline;
        var log = postgres.Log();
        var cancelledWhileReading = Count(log, "canceling statement due to user request") - cancelledBefore;
        var cancelled = Count(log, "canceling statement due to user request");
        await TestContext.Out.WriteLineAsync($"PostgreSQL cancelled {cancelled} export statements; its log holds {Count(log, "ERROR")} errors in all");
        await TestContext.Out.WriteLineAsync($"managed heap: {baseline / 1024} KB after the warm-up, {(baseline + growth) / 1024} KB after {Aborts} aborted exports");
        growth.Should().BeLessThan(MemoryGrowthBound, $"memory grew by {growth / 1024} KB over {Aborts} aborted exports");

        // A client that hangs up while its segment is still being read gets its statement cancelled (Npgsql sends
        // PostgreSQL a cancel request), not read to the end: every one of those aborts, since the lock kept every one
        // of their statements running.
        cancelledWhileReading.Should().Be(Aborts / 5, "an abort while the segment is read must cancel the export's statement in PostgreSQL");

        using var client = Kestrel.Client(address, key);
        using var response = await client.GetAsync("/api/v1/leads/export");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Csv.Parse(await response.Content.ReadAsByteArrayAsync()).Should().HaveCount(10_001, "a header and 10,000 rows");
    }

    /// <summary>Starts an export of 10,000 rows, reads its first bytes, then resets the connection in the middle of the body.</summary>
    private async Task AbortExportAsync()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 8 * 1024 };
        await socket.ConnectAsync(server);
        var request = $"GET /api/v1/leads/export HTTP/1.1\r\nHost: {server.Host}:{server.Port}\r\n"
            + $"Authorization: Bearer {key}\r\nX-Forwarded-For: 10.3.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));

        var buffer = new byte[ReadBeforeAbort];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read));
            n.Should().BePositive("the export must still be sending when the client hangs up");
            read += n;
        }

        Encoding.ASCII.GetString(buffer, 0, 15).Should().Be("HTTP/1.1 200 OK");

        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    /// <summary>
    /// Starts an export while the test holds a lock on leads, waits until PostgreSQL runs its statement (blocked on
    /// that lock), resets the connection, and waits until the statement is gone: with the lock still held it cannot
    /// have finished, so it was cancelled.
    /// </summary>
    private async Task AbortWhileReadingAsync()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        var request = $"GET /api/v1/leads/export HTTP/1.1\r\nHost: {server.Host}:{server.Port}\r\n"
            + $"Authorization: Bearer {key}\r\nX-Forwarded-For: 10.4.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        await Eventually.UntilAsync(async () => await CountAsync(BlockedSql) == 1, "the export's statement must start and wait for the lock on leads");
        var cancelled = Count(postgres.Log(), "canceling statement due to user request");

        socket.LingerState = new LingerOption(true, 0);
        socket.Close();

        await Eventually.UntilAsync(async () => await CountAsync(ExportingSql) == 0,
            "the statement of an export whose client hung up must be cancelled while it waits");
        Count(postgres.Log(), "canceling statement due to user request").Should().Be(cancelled + 1, "PostgreSQL cancelled it at the client's request");
    }

    /// <summary>Spilled segments are deleted when their response ends, aborted or not.</summary>
    private async Task WaitForNoSpilledFilesAsync()
    {
        Directory.Exists(spillDirectory).Should().BeTrue("the segments were large enough to spill to disk");
        await Eventually.UntilAsync(() => !Directory.EnumerateFiles(spillDirectory).Any(), "every temporary file of an aborted export is deleted");
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    /// <summary>Waits until none of the API's connections is running a statement or holding a transaction open.</summary>
    private Task WaitUntilIdleAsync(string because) => Eventually.UntilAsync(async () => await CountAsync(BusySql) == 0, because);

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static long ManagedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
