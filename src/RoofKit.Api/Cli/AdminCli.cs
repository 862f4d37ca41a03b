using System.Globalization;
using Microsoft.Extensions.Options;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;
using RoofKit.Infrastructure;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Infrastructure.Persistence;
using RoofKit.Infrastructure.Seeding;
using RoofKit.Infrastructure.Workspaces;

namespace RoofKit.Api.Cli;

/// <summary>
/// The operator's command-line mode of the API (CONTRACT.md §9): workspaces, keys, seeding, migrations.
/// Exit codes: 0 done, 1 failed, 2 bad arguments.
/// </summary>
public static class AdminCli
{
    private static readonly string[] CommandNames = ["migrate", "workspaces", "keys", "seed", "demo", "help", "--help"];

    public const string Usage = """
        RoofKit admin commands (database from ConnectionStrings__Default or ROOFKIT_DATABASE_URL):
          migrate
          workspaces create --slug SLUG --name NAME
          workspaces suspend|activate|close SLUG
          workspaces list
          keys create --workspace SLUG --name NAME --scopes leads.read,leads.export
          keys list [--workspace SLUG]
          keys revoke KEY_ID
          keys delete KEY_ID
          seed --workspace SLUG --leads N [--seed N]
          demo --env-file PATH --base-url URL --database-url URL
        """;

    public static bool Handles(string[] args) => args.Length > 0 && CommandNames.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args[0] is "help" or "--help")
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }

        try
        {
            await using var services = BuildServices();
            var command = new Commands(services, output);
            return await command.RunAsync(args);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            await error.WriteLineAsync(Usage);
            return 2;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static ServiceProvider BuildServices()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            // Operator commands (a million-lead seed, a migration) run longer than any partner query may:
            // unless configured otherwise they get an hour instead of the API's statement timeout.
            .AddInMemoryCollection(Environment.GetEnvironmentVariable("Database__StatementTimeoutSeconds") is null
                ? new Dictionary<string, string?> { ["Database:StatementTimeoutSeconds"] = "3600" }
                : [])
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddInfrastructureServices(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed class Commands(IServiceProvider services, TextWriter output)
    {
        private WorkspaceAdmin Workspaces => services.GetRequiredService<WorkspaceAdmin>();

        private ApiKeyAdmin Keys => services.GetRequiredService<ApiKeyAdmin>();

        public async Task<int> RunAsync(string[] args)
        {
            var verb = args.Length > 1 ? args[1] : null;
            return (args[0], verb) switch
            {
                ("migrate", _) => await MigrateAsync(),
                ("workspaces", "create") => await CreateWorkspaceAsync(Options(args, 2)),
                ("workspaces", "suspend") => await SetStatusAsync(args, WorkspaceStatus.Suspended),
                ("workspaces", "activate") => await SetStatusAsync(args, WorkspaceStatus.Active),
                ("workspaces", "close") => await SetStatusAsync(args, WorkspaceStatus.Closed),
                ("workspaces", "list") => await ListWorkspacesAsync(),
                ("keys", "create") => await CreateKeyAsync(Options(args, 2)),
                ("keys", "list") => await ListKeysAsync(Options(args, 2)),
                ("keys", "revoke") => await StampKeyAsync(args, revoke: true),
                ("keys", "delete") => await StampKeyAsync(args, revoke: false),
                ("seed", _) => await SeedAsync(Options(args, 1)),
                ("demo", _) => await DemoAsync(Options(args, 1)),
                _ => throw new UsageException($"unknown command '{string.Join(' ', args.Take(2))}'"),
            };
        }

        private async Task<int> MigrateAsync()
        {
            var connectionString = RoofKit.Infrastructure.DependencyInjection.Normalize(
                RoofKit.Infrastructure.DependencyInjection.PrimaryConnectionString(services.GetRequiredService<IConfiguration>()));
            var applied = new DatabaseMigrator(connectionString, services.GetRequiredService<ILogger<DatabaseMigrator>>()).Migrate();
            await output.WriteLineAsync(applied.Count == 0
                ? "Database is up to date."
                : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            return 0;
        }

        private async Task<int> CreateWorkspaceAsync(Dictionary<string, string> options)
        {
            var slug = Required(options, "slug");
            var name = Required(options, "name");
            if (await Workspaces.FindAsync(slug, CancellationToken.None) is not null)
            {
                throw new UsageException($"workspace '{slug}' already exists");
            }

            var workspace = await Workspaces.CreateAsync(slug, name, CancellationToken.None);
            await services.GetRequiredService<LeadSeeder>().EnsureStagesAsync(workspace.Id, CancellationToken.None);
            await output.WriteLineAsync($"Created workspace {workspace.Slug} ({workspace.Id}) with the default pipeline stages.");
            return 0;
        }

        private async Task<int> SetStatusAsync(string[] args, WorkspaceStatus status)
        {
            var slug = args.Length == 3 ? args[2] : throw new UsageException($"workspaces {args[1]} takes one SLUG");
            if (!await Workspaces.SetStatusAsync(slug, status, CancellationToken.None))
            {
                throw new UsageException($"no workspace '{slug}'");
            }

            await output.WriteLineAsync($"Workspace {slug} is now {status.ToDatabase()}.");
            return 0;
        }

        private async Task<int> ListWorkspacesAsync()
        {
            await output.WriteLineAsync($"{"SLUG",-24} {"STATUS",-10} {"LEADS",10}  NAME");
            foreach (var (workspace, leads) in await Workspaces.ListAsync(CancellationToken.None))
            {
                await output.WriteLineAsync(
                    $"{workspace.Slug,-24} {workspace.Status.ToDatabase(),-10} {leads,10}  {workspace.Name}");
            }

            return 0;
        }

        private async Task<int> CreateKeyAsync(Dictionary<string, string> options)
        {
            var slug = Required(options, "workspace");
            var name = Required(options, "name");
            var scopes = Required(options, "scopes").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = scopes.Except(Scopes.All).ToList();
            if (scopes.Length == 0 || unknown.Count > 0)
            {
                throw new UsageException($"--scopes takes a comma-separated list of {string.Join(", ", Scopes.All)}");
            }

            var workspace = await Workspaces.FindAsync(slug, CancellationToken.None) ?? throw new UsageException($"no workspace '{slug}'");
            var (key, token) = await Keys.CreateAsync(workspace.Id, name, scopes, CancellationToken.None);
            await output.WriteLineAsync($"Created key {key.Id} ({key.Name}) for {slug} with scopes {string.Join(",", key.Scopes)}.");
            await output.WriteLineAsync("It is shown once, now; only its hash is stored:");
            await output.WriteLineAsync(token);
            return 0;
        }

        private async Task<int> ListKeysAsync(Dictionary<string, string> options)
        {
            options.TryGetValue("workspace", out var slug);
            await output.WriteLineAsync($"{"ID",-36}  {"KEY",-24} {"WORKSPACE",-16} {"STATE",-8} {"SCOPES",-26} {"LAST USED",-20} NAME");
            foreach (var key in await Keys.ListAsync(slug, CancellationToken.None))
            {
                var lastUsed = key.LastUsedAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "never";
                await output.WriteLineAsync(
                    $"{key.Id,-36}  {ApiKeyToken.Prefix + key.PublicId + "…",-24} {key.Workspace,-16} {key.State,-8} {string.Join(",", key.Scopes),-26} {lastUsed,-20} {key.Name}");
            }

            return 0;
        }

        private async Task<int> StampKeyAsync(string[] args, bool revoke)
        {
            var key = args.Length == 3 ? args[2] : throw new UsageException($"keys {args[1]} takes one KEY_ID");
            var done = revoke
                ? await Keys.RevokeAsync(key, CancellationToken.None)
                : await Keys.DeleteAsync(key, CancellationToken.None);
            if (!done)
            {
                throw new UsageException($"no {(revoke ? "active" : "undeleted")} key '{key}'");
            }

            await output.WriteLineAsync($"Key {key} {(revoke ? "revoked" : "deleted")}; it stops working at once.");
            return 0;
        }

        private async Task<int> SeedAsync(Dictionary<string, string> options)
        {
            var slug = Required(options, "workspace");
            var count = Number(options, "leads", 1, 50_000_000);
            var seed = options.ContainsKey("seed") ? Number(options, "seed", 0, int.MaxValue) : Environment.TickCount & int.MaxValue;
            var workspace = await Workspaces.FindAsync(slug, CancellationToken.None) ?? throw new UsageException($"no workspace '{slug}'");
            var written = await Seed(workspace, count, seed);
            await output.WriteLineAsync($"Seeded {written:N0} leads into {slug}.");
            return 0;
        }

        private async Task<long> Seed(Workspace workspace, int count, int seed)
        {
            var seeder = services.GetRequiredService<LeadSeeder>();
            await seeder.EnsureStagesAsync(workspace.Id, CancellationToken.None);
            var started = DateTime.UtcNow;
            var progress = new Progress<(long Done, long Total)>(p => output.WriteLine(
                $"  seeded {p.Done:N0} / {p.Total:N0} leads ({100.0 * p.Done / Math.Max(1, p.Total):F0}%, {(DateTime.UtcNow - started).TotalSeconds:F1} s)"));
            return await seeder.SeedAsync(workspace.Id, count, seed, progress, CancellationToken.None);
        }

        /// <summary>
        /// Sets up the demo once (workspaces, leads, keys) and writes the env file; a second run finds the
        /// env file and the workspaces and changes nothing.
        /// </summary>
        private async Task<int> DemoAsync(Dictionary<string, string> options)
        {
            var envFile = Required(options, "env-file");
            var baseUrl = Required(options, "base-url");
            var databaseUrl = Required(options, "database-url");
            var existing = await Workspaces.FindAsync("demo", CancellationToken.None);
            if (existing is not null && File.Exists(envFile) && File.ReadAllText(envFile).Contains("ROOFKIT_DEMO_KEY=", StringComparison.Ordinal))
            {
                var lines = File.ReadAllLines(envFile)
                    .Select(l => l.StartsWith("export ROOFKIT_BASE_URL=", StringComparison.Ordinal) ? $"export ROOFKIT_BASE_URL={baseUrl}"
                        : l.StartsWith("export ROOFKIT_DATABASE_URL=", StringComparison.Ordinal) ? $"export ROOFKIT_DATABASE_URL={databaseUrl}" : l);
                await File.WriteAllLinesAsync(envFile, lines);
                await output.WriteLineAsync($"Demo workspace already set up; keys are in {envFile}.");
                return 0;
            }

            var demo = existing ?? await Workspaces.CreateAsync("demo", "Summit Ridge Roofing (demo)", CancellationToken.None);
            var suspended = await Workspaces.FindAsync("suspended-demo", CancellationToken.None)
                ?? await Workspaces.CreateAsync("suspended-demo", "Lapsed Roofing Co. (suspended demo)", CancellationToken.None);
            if ((await Workspaces.ListAsync(CancellationToken.None)).First(w => w.Workspace.Id == demo.Id).Leads == 0)
            {
                await output.WriteLineAsync("Seeding 25,000 demo leads...");
                await Seed(demo, 25_000, seed: 2026);
            }

            if ((await Workspaces.ListAsync(CancellationToken.None)).First(w => w.Workspace.Id == suspended.Id).Leads == 0)
            {
                await Seed(suspended, 100, seed: 7);
            }

            await Workspaces.SetStatusAsync("suspended-demo", WorkspaceStatus.Suspended, CancellationToken.None);
            var all = await Keys.CreateAsync(demo.Id, "demo (read + export)", Scopes.All, CancellationToken.None);
            var read = await Keys.CreateAsync(demo.Id, "demo (read only)", [Scopes.LeadsRead], CancellationToken.None);
            var revoked = await Keys.CreateAsync(demo.Id, "demo (revoked)", Scopes.All, CancellationToken.None);
            await Keys.RevokeAsync(revoked.Key.Id.ToString(), CancellationToken.None);
            var suspendedKey = await Keys.CreateAsync(suspended.Id, "suspended demo", Scopes.All, CancellationToken.None);

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(envFile))!);
            await File.WriteAllTextAsync(envFile, $"""
                # Written by `make run` (RoofKit.Api demo). Source it: `source .roofkit/env`.
                export ROOFKIT_BASE_URL={baseUrl}
                export ROOFKIT_DATABASE_URL={databaseUrl}
                export ROOFKIT_DEMO_KEY={all.Token}
                export ROOFKIT_DEMO_READ_KEY={read.Token}
                export ROOFKIT_DEMO_REVOKED_KEY={revoked.Token}
                export ROOFKIT_DEMO_SUSPENDED_KEY={suspendedKey.Token}

                """);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(envFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await output.WriteLineAsync($"Demo workspaces and keys written to {envFile}.");
            return 0;
        }

        private static Dictionary<string, string> Options(string[] args, int start)
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = start; i < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    throw new UsageException($"expected --option VALUE at '{args[i]}'");
                }

                options[args[i][2..]] = args[i + 1];
            }

            return options;
        }

        private static string Required(Dictionary<string, string> options, string name) =>
            options.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
                ? value
                : throw new UsageException($"--{name} is required");

        private static int Number(Dictionary<string, string> options, string name, int min, int max) =>
            int.TryParse(Required(options, name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : throw new UsageException($"--{name} must be a whole number from {min} to {max}");
    }
}
