using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// A PostgreSQL server of one fixture's own, in a temp folder on a free port, which the fixture may stop and
/// start: the shared test server must keep running for everyone else. The binaries are those `make test` found
/// (PG_BIN, exported by scripts/pg.sh), else the newest under /usr/lib/postgresql. As root the server runs as the
/// postgres user, as scripts/pg.sh does it.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Superuser = "roofkit";
    private readonly string bin;
    private readonly string folder;

    private PrivatePostgres(string bin, string folder, int port)
    {
        this.bin = bin;
        this.folder = folder;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(folder, "data");

    private static bool IsRoot => Environment.UserName == "root";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = FindBin();
        var folder = Directory.CreateTempSubdirectory("roofkit-private-pg-").FullName;
        var server = new PrivatePostgres(bin, folder, FreePort());
        try
        {
            if (IsRoot)
            {
                await RunAsync("chown", "postgres:", folder);
            }

            await server.AsOwnerAsync(Path.Combine(bin, "initdb"), "-D", server.DataDirectory, "-U", Superuser, "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
            await server.StartServerAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the server has logged so far (errors, cancellations, lost clients).</summary>
    public string Log() => File.ReadAllText(Path.Combine(folder, "postgres.log"));

    /// <summary>A database of its own, migrated by the production migrator; returns its connection string.</summary>
    public async Task<string> CreateMigratedDatabaseAsync(string name)
    {
        await CreateDatabaseAsync(name);
        var connectionString = ConnectionString(name);
        new DatabaseMigrator(connectionString, NullLogger<DatabaseMigrator>.Instance).Migrate();
        return connectionString;
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
    }.ConnectionString;

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>Starts the server again on the same port, and waits until it accepts connections.</summary>
    public Task StartServerAsync() => AsOwnerAsync(Path.Combine(bin, "pg_ctl"), "start", "-D", DataDirectory, "-w", "-t", "60",
        "-l", Path.Combine(folder, "postgres.log"),
        // fsync=off only risks data when the machine crashes; synchronous_commit stays on, so that what a test wrote
        // before it kills the server (StopServerAsync) is in the WAL and comes back.
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c full_page_writes=off");

    /// <summary>Stops the server the hard way (<c>-m immediate</c>): every backend dies at once, as in a crash.</summary>
    public Task StopServerAsync() => AsOwnerAsync(Path.Combine(bin, "pg_ctl"), "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "60");

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopServerAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        Directory.Delete(folder, recursive: true);
    }

    private static string FindBin()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } fromScript)
        {
            candidates.Add(fromScript);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("No PostgreSQL binaries (initdb, pg_ctl): run the tests with `make test`.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task AsOwnerAsync(string program, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        // From / because the postgres user may not be allowed into the current directory.
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = "/",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
