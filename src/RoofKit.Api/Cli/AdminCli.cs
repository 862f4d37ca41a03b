using System.Globalization;
using System.Text.Json;
using RoofKit.Api.Observability;
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
/// Exit codes: 0 done, 1 failed, 2 bad arguments. With <c>--json</c> a command prints one JSON document on
/// stdout (snake_case, as the API's own bodies) and nothing else there, so scripts parse it instead of the text.
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
          demo --env-file PATH [--postman-env PATH] --base-url URL --database-url URL
        Every command takes --json: one JSON document on stdout instead of text (keys create: the key in "key").
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
            var (arguments, json) = WithoutJsonFlag(args);
            await using var services = BuildServices();
            var command = new Commands(services, output, error, json);
            return await command.RunAsync(arguments);
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

    /// <summary>
    /// Takes <c>--json</c> out of the arguments wherever it stands as an option of its own; as the value of an
    /// option (<c>--name --json</c>) it stays a value.
    /// </summary>
    private static (string[] Arguments, bool Json) WithoutJsonFlag(string[] args)
    {
        var rest = new List<string>(args.Length);
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json")
            {
                json = true;
                continue;
            }

            rest.Add(args[i]);
            if (i > 0 && args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                rest.Add(args[++i]);
            }
        }

        return ([.. rest], json);
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
        services.AddOneLineExceptionConsoleLog();
        services.AddSingleton(TimeProvider.System);
        services.AddInfrastructureServices(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed class Commands(IServiceProvider services, TextWriter output, TextWriter error, bool json)
    {
        private static readonly JsonSerializerOptions JsonOptions = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        };

        private static readonly JsonSerializerOptions PostmanJsonOptions = new() { WriteIndented = true };

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
            var applied = services.GetRequiredService<DatabaseMigrator>().Migrate();
            return await PrintAsync(new MigrateJson(applied), applied.Count == 0
                ? "Database is up to date."
                : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
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
            return await PrintAsync(WorkspaceJson.From(workspace, leads: 0),
                $"Created workspace {workspace.Slug} ({workspace.Id}) with the default pipeline stages.");
        }

        private async Task<int> SetStatusAsync(string[] args, WorkspaceStatus status)
        {
            var slug = args.Length == 3 ? args[2] : throw new UsageException($"workspaces {args[1]} takes one SLUG");
            if (!await Workspaces.SetStatusAsync(slug, status, CancellationToken.None))
            {
                throw new UsageException($"no workspace '{slug}'");
            }

            return await PrintAsync(new WorkspaceStatusJson(slug, status.ToDatabase()), $"Workspace {slug} is now {status.ToDatabase()}.");
        }

        private async Task<int> ListWorkspacesAsync()
        {
            var workspaces = await Workspaces.ListAsync(CancellationToken.None);
            if (json)
            {
                return await PrintJsonAsync(workspaces.Select(w => WorkspaceJson.From(w.Workspace, w.Leads)));
            }

            await output.WriteLineAsync($"{"SLUG",-24} {"STATUS",-10} {"LEADS",10}  NAME");
            foreach (var (workspace, leads) in workspaces)
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
            if (json)
            {
                return await PrintJsonAsync(CreatedKeyJson.From(key, token));
            }

            await output.WriteLineAsync($"Created key {key.Id} ({key.Name}) for {slug} with scopes {string.Join(",", key.Scopes)}.");
            await output.WriteLineAsync("It is shown once, now; only its hash is stored:");
            await output.WriteLineAsync(token);
            return 0;
        }

        private async Task<int> ListKeysAsync(Dictionary<string, string> options)
        {
            options.TryGetValue("workspace", out var slug);
            var keys = await Keys.ListAsync(slug, CancellationToken.None);
            if (json)
            {
                return await PrintJsonAsync(keys.Select(KeyJson.From));
            }

            await output.WriteLineAsync($"{"ID",-36}  {"KEY",-24} {"WORKSPACE",-16} {"STATE",-8} {"SCOPES",-26} {"LAST USED",-20} NAME");
            foreach (var key in keys)
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

            var text = $"Key {key} {(revoke ? "revoked" : "deleted")}; it stops working at once.";
            if (!json)
            {
                await output.WriteLineAsync(text);
                return 0;
            }

            // The same matching as the UPDATE: id, public id or the whole key.
            var stamped = (await Keys.ListAsync(null, CancellationToken.None)).Single(k =>
                k.Id.ToString() == key || k.PublicId == key || key.StartsWith(ApiKeyToken.Prefix + k.PublicId, StringComparison.Ordinal));
            return await PrintJsonAsync(KeyJson.From(stamped));
        }

        private async Task<int> SeedAsync(Dictionary<string, string> options)
        {
            var slug = Required(options, "workspace");
            var count = Number(options, "leads", 1, 50_000_000);
            var seed = options.ContainsKey("seed") ? Number(options, "seed", 0, int.MaxValue) : Environment.TickCount & int.MaxValue;
            var workspace = await Workspaces.FindAsync(slug, CancellationToken.None) ?? throw new UsageException($"no workspace '{slug}'");
            var written = await Seed(workspace, count, seed);
            return await PrintAsync(new SeedJson(slug, written), $"Seeded {written:N0} leads into {slug}.");
        }

        private async Task<long> Seed(Workspace workspace, int count, int seed)
        {
            var seeder = services.GetRequiredService<LeadSeeder>();
            await seeder.EnsureStagesAsync(workspace.Id, CancellationToken.None);
            var started = DateTime.UtcNow;
            // With --json, stdout holds the JSON document alone: progress goes to stderr.
            var progressWriter = json ? error : output;
            var progress = new Progress<(long Done, long Total)>(p => progressWriter.WriteLine(
                $"  seeded {p.Done:N0} / {p.Total:N0} leads ({100.0 * p.Done / Math.Max(1, p.Total):F0}%, {(DateTime.UtcNow - started).TotalSeconds:F1} s)"));
            return await seeder.SeedAsync(workspace.Id, count, seed, progress, CancellationToken.None);
        }

        /// <summary>
        /// Sets up the demo (workspaces, leads, keys) and writes the env file and, with <c>--postman-env</c>, the
        /// Postman environment. Run again, it keeps what is there: leads are seeded into an empty workspace only,
        /// and a key the env file already names is kept while it still is what it should be (same workspace, scopes
        /// and state); a key missing from the file (one an older version did not create) is created.
        /// </summary>
        private async Task<int> DemoAsync(Dictionary<string, string> options)
        {
            var envFile = Required(options, "env-file");
            options.TryGetValue("postman-env", out var postmanFile);
            var baseUrl = Required(options, "base-url");
            var databaseUrl = Required(options, "database-url");
            var workspaces = new Dictionary<string, Workspace>(StringComparer.Ordinal)
            {
                ["demo"] = await Workspaces.FindAsync("demo", CancellationToken.None)
                    ?? await Workspaces.CreateAsync("demo", "Summit Ridge Roofing (demo)", CancellationToken.None),
                ["suspended-demo"] = await Workspaces.FindAsync("suspended-demo", CancellationToken.None)
                    ?? await Workspaces.CreateAsync("suspended-demo", "Lapsed Roofing Co. (suspended demo)", CancellationToken.None),
            };
            var leads = (await Workspaces.ListAsync(CancellationToken.None)).ToDictionary(w => w.Workspace.Id, w => w.Leads);
            if (leads[workspaces["demo"].Id] == 0)
            {
                await (json ? error : output).WriteLineAsync("Seeding 25,000 demo leads...");
                await Seed(workspaces["demo"], 25_000, seed: 2026);
            }

            if (leads[workspaces["suspended-demo"].Id] == 0)
            {
                await Seed(workspaces["suspended-demo"], 100, seed: 7);
            }

            await Workspaces.SetStatusAsync("suspended-demo", WorkspaceStatus.Suspended, CancellationToken.None);

            var previous = ReadEnvFile(envFile);
            var existing = await Keys.ListAsync(null, CancellationToken.None);
            var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
            var created = new List<string>();
            foreach (var demoKey in DemoKey.All)
            {
                if (previous.TryGetValue(demoKey.Variable, out var token) && demoKey.IsStill(token, existing))
                {
                    tokens[demoKey.Variable] = token;
                    continue;
                }

                var (key, newToken) = await Keys.CreateAsync(workspaces[demoKey.Workspace].Id, demoKey.Name, demoKey.Scopes, CancellationToken.None);
                if (demoKey.Revoked)
                {
                    await Keys.RevokeAsync(key.Id.ToString(), CancellationToken.None);
                }

                tokens[demoKey.Variable] = newToken;
                created.Add(demoKey.Variable);
            }

            var envLines = new List<string>
            {
                "# Written by `make run` (RoofKit.Api demo). Source it: `source .roofkit/env`.",
                $"export ROOFKIT_BASE_URL={baseUrl}",
                $"export ROOFKIT_DATABASE_URL={databaseUrl}",
            };
            envLines.AddRange(DemoKey.All.Select(k => $"export {k.Variable}={tokens[k.Variable]}"));
            await WritePrivateFileAsync(envFile, string.Join('\n', envLines) + "\n");

            if (postmanFile is not null)
            {
                var values = new List<PostmanVariable> { new("baseUrl", baseUrl, "default") };
                values.AddRange(DemoKey.All.Select(k => new PostmanVariable(k.PostmanVariable, tokens[k.Variable], "secret")));
                // Instances whose database is down (503) or has no tables (500): make run has none, so the
                // collection skips those requests, saying so, until someone fills these in.
                values.Add(new PostmanVariable("brokenBaseUrl", "", "default"));
                values.Add(new PostmanVariable("faultyBaseUrl", "", "default"));
                var environment = new PostmanEnvironment(
                    "0c9a3d6e-7b21-4f5e-8a3c-2d64e1f0b7a9", "RoofKit local (make run)", values, "environment");
                await WritePrivateFileAsync(postmanFile, JsonSerializer.Serialize(environment, PostmanJsonOptions) + "\n");
            }

            var message = created.Count == 0
                ? $"Demo already set up; keys are in {envFile}{(postmanFile is null ? "" : $" and {postmanFile}")}."
                : $"Demo workspaces and keys ({string.Join(", ", created)} new) written to {envFile}{(postmanFile is null ? "" : $" and {postmanFile}")}.";
            return await PrintAsync(new DemoJson(envFile, postmanFile, created), message);
        }

        /// <summary>The <c>export NAME=VALUE</c> lines of an env file this command wrote; empty when there is none.</summary>
        private static Dictionary<string, string> ReadEnvFile(string path)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!File.Exists(path))
            {
                return values;
            }

            foreach (var line in File.ReadAllLines(path))
            {
                if (line.StartsWith("export ", StringComparison.Ordinal) && line.IndexOf('=') is var equals and > 7)
                {
                    values[line[7..equals]] = line[(equals + 1)..];
                }
            }

            return values;
        }

        /// <summary>Writes a file that holds keys: readable by its owner only.</summary>
        private static async Task WritePrivateFileAsync(string path, string content)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        /// <summary>Prints the JSON document with --json, else the text.</summary>
        private async Task<int> PrintAsync<T>(T document, string text)
        {
            if (json)
            {
                return await PrintJsonAsync(document);
            }

            await output.WriteLineAsync(text);
            return 0;
        }

        private async Task<int> PrintJsonAsync<T>(T document)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(document, JsonOptions));
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

    /// <summary>
    /// A key the demo hands out: its variable in .roofkit/env and in the Postman environment, and what it must be.
    /// The Postman collection needs every one of them (docs/postman).
    /// </summary>
    private sealed record DemoKey(string Variable, string PostmanVariable, string Workspace, string Name, string[] Scopes, bool Revoked = false)
    {
        public static readonly DemoKey[] All =
        [
            new("ROOFKIT_DEMO_KEY", "apiKey", "demo", "demo (read + export)", [.. RoofKit.Domain.ApiKeys.Scopes.All]),
            new("ROOFKIT_DEMO_READ_KEY", "readOnlyKey", "demo", "demo (read only)", [RoofKit.Domain.ApiKeys.Scopes.LeadsRead]),
            new("ROOFKIT_DEMO_EXPORT_KEY", "exportOnlyKey", "demo", "demo (export only)", [RoofKit.Domain.ApiKeys.Scopes.LeadsExport]),
            new("ROOFKIT_DEMO_REVOKED_KEY", "revokedKey", "demo", "demo (revoked)", [.. RoofKit.Domain.ApiKeys.Scopes.All], Revoked: true),
            new("ROOFKIT_DEMO_SUSPENDED_KEY", "inactiveKey", "suspended-demo", "suspended demo", [.. RoofKit.Domain.ApiKeys.Scopes.All]),
            // Postman's 429 requests empty its buckets; ROOFKIT_DEMO_KEY keeps working meanwhile.
            new("ROOFKIT_DEMO_BURST_KEY", "burstKey", "demo", "demo (Postman 429 checks empty its buckets)", [.. RoofKit.Domain.ApiKeys.Scopes.All]),
        ];

        public bool IsStill(string token, IReadOnlyList<ApiKeySummary> keys) =>
            ApiKeyToken.TryParse(token, out var parsed)
            && keys.Any(k => k.PublicId == parsed!.PublicId && k.Workspace == Workspace
                && k.State == (Revoked ? "revoked" : "active") && k.Scopes.Order().SequenceEqual(Scopes.Order()));
    }

    private sealed record PostmanVariable(
        [property: System.Text.Json.Serialization.JsonPropertyName("key")] string Key,
        [property: System.Text.Json.Serialization.JsonPropertyName("value")] string Value,
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type)
    {
        [System.Text.Json.Serialization.JsonPropertyName("enabled")]
        public bool Enabled => true;
    }

    private sealed record PostmanEnvironment(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("values")] IReadOnlyList<PostmanVariable> Values,
        [property: System.Text.Json.Serialization.JsonPropertyName("_postman_variable_scope")] string Scope);

    // What --json prints (snake_case on the wire).
    private sealed record MigrateJson(IReadOnlyList<string> Applied);

    private sealed record WorkspaceJson(Guid Id, string Slug, string Name, string Status, DateTime CreatedAt, long Leads)
    {
        public static WorkspaceJson From(Workspace workspace, long leads) =>
            new(workspace.Id, workspace.Slug, workspace.Name, workspace.Status.ToDatabase(), workspace.CreatedAt, leads);
    }

    private sealed record WorkspaceStatusJson(string Slug, string Status);

    private sealed record KeyJson(
        Guid Id, string PublicId, string Workspace, string Name, string[] Scopes, string State,
        DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt, DateTime? DeletedAt)
    {
        public static KeyJson From(ApiKeySummary key) => new(
            key.Id, key.PublicId, key.Workspace, key.Name, key.Scopes, key.State, key.CreatedAt, key.LastUsedAt, key.RevokedAt, key.DeletedAt);
    }

    /// <summary>A new key: the listing's fields and, this once, the whole key.</summary>
    private sealed record CreatedKeyJson(
        Guid Id, string PublicId, string Workspace, string Name, string[] Scopes, string State, DateTime CreatedAt, string Key)
    {
        public static CreatedKeyJson From(ApiKeySummary key, string token) =>
            new(key.Id, key.PublicId, key.Workspace, key.Name, key.Scopes, key.State, key.CreatedAt, token);
    }

    private sealed record SeedJson(string Workspace, long Leads);

    private sealed record DemoJson(string EnvFile, string? PostmanEnvironment, IReadOnlyList<string> CreatedKeys);
}
