using Dapper;
using Npgsql;
using NpgsqlTypes;
using RoofKit.Domain.Leads;

namespace RoofKit.Infrastructure.Seeding;

/// <summary>
/// Demo data for a workspace: the default pipeline, and any number of realistic US roofing leads, written with
/// binary COPY so that a million rows take seconds, not minutes.
/// </summary>
public sealed class LeadSeeder(NpgsqlDataSource dataSource)
{
    // One COPY, and so one transaction, per batch: a cancelled or failed run keeps the batches before it,
    // and no single transaction holds a million rows' worth of GIN pending-list work.
    private const int BatchSize = 100_000;
    private const int ProgressEvery = 50_000;

    private const string CopySql = """
        COPY leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                    source, medium, campaign, status_stage_id, notes, created_at, updated_at)
        FROM STDIN (FORMAT BINARY)
        """;

    private static readonly (string Name, string Kind)[] DefaultStages =
    [
        ("New", "open"),
        ("Contacted", "open"),
        ("Inspection scheduled", "open"),
        ("Estimate sent", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
    ];

    /// <summary>
    /// Creates the default pipeline (New, Contacted, Inspection scheduled, Estimate sent, Won, Lost) when the
    /// workspace has no stages yet, and returns the workspace's stages in position order. A workspace that
    /// already has stages, default or its own, keeps them untouched.
    /// </summary>
    public async Task<IReadOnlyList<(Guid Id, string Name)>> EnsureStagesAsync(Guid workspaceId, CancellationToken ct)
    {
        var stages = await EnsureStageRowsAsync(workspaceId, ct);
        return [.. stages.Select(s => (s.Id, s.Name))];
    }

    /// <summary>
    /// Adds <paramref name="count"/> leads to the workspace (creating its pipeline first if needed) and returns
    /// how many were written. The same <paramref name="seed"/> gives the same leads, timestamps relative to
    /// the start of the run, apart from their ids. <paramref name="progress"/> hears (rows written, total)
    /// about every 5% or 50,000 rows, whichever comes first, and once at the end.
    /// </summary>
    public async Task<long> SeedAsync(
        Guid workspaceId, int count, int seed, IProgress<(long Done, long Total)>? progress, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var stages = await EnsureStageRowsAsync(workspaceId, ct);
        if (count == 0)
        {
            progress?.Report((0, 0));
            return 0;
        }

        var nowUtc = DateTime.UtcNow;
        var batchCount = (int)((count + (long)BatchSizeK - 1) / BatchSizeK);
        var master = new Random(seed);
        var batchSeeds = new int[batchCount];
        for (var i = 0; i < batchCount; i++)
        {
            batchSeeds[i] = master.Next();
        }

        var reportEvery = Math.Clamp(count / 20, 1, ProgressEvery);
        var gate = new Lock();
        long sent = 0;
        long written = 0;
        var nextBatch = -1;

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task WriterAsync()
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(failed.Token);
                if (SessionSql is { Length: > 0 })
                {
                    await using var set = new NpgsqlCommand(SessionSql, connection);
                    await set.ExecuteNonQueryAsync(failed.Token);
                }
                int batch;
                while ((batch = Interlocked.Increment(ref nextBatch)) < batchCount)
                {
                    var rows = (int)Math.Min(BatchSizeK, count - (long)batch * BatchSizeK);
                    var generator = new LeadGenerator(batchSeeds[batch], nowUtc, stages);
                    var lead = new SeedLead();
                    await using var importer = await connection.BeginBinaryImportAsync(CopySql, failed.Token);
                    for (var i = 0; i < rows; i++)
                    {
                        generator.Next(lead);
                        if (SyncWrites) Write(importer, workspaceId, lead); else await WriteAsync(importer, workspaceId, lead, failed.Token);
                        if ((i + 1) % 1000 == 0 || i == rows - 1)
                        {
                            var chunk = (i + 1) % 1000 == 0 ? 1000 : (i + 1) % 1000;
                            lock (gate)
                            {
                                var before = sent;
                                sent += chunk;
                                if (sent / reportEvery > before / reportEvery && sent < count)
                                {
                                    progress?.Report((sent, count));
                                }
                            }
                        }
                    }
                    Interlocked.Add(ref written, (long)await importer.CompleteAsync(failed.Token));
                }
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }

        var writers = Math.Min(WritersK, batchCount);
        var tasks = new Task[writers];
        for (var i = 0; i < writers; i++)
        {
            tasks[i] = Task.Run(WriterAsync, CancellationToken.None);
        }
        await Task.WhenAll(tasks);
        progress?.Report((written, count));
        return written;
    }

    private static readonly int BatchSizeK = int.Parse(Environment.GetEnvironmentVariable("SEED_BATCH") ?? "100000");
    private static readonly int WritersK = int.Parse(Environment.GetEnvironmentVariable("SEED_WRITERS") ?? "1");
    private static readonly bool SyncWrites = Environment.GetEnvironmentVariable("SEED_SYNC") == "1";
    private static readonly string? SessionSql = Environment.GetEnvironmentVariable("SEED_SESSION");

    private static void Write(NpgsqlBinaryImporter importer, Guid workspaceId, SeedLead lead)
    {
        importer.StartRow();
        importer.Write(lead.Id, NpgsqlDbType.Uuid);
        importer.Write(workspaceId, NpgsqlDbType.Uuid);
        WriteText(importer, lead.FirstName);
        WriteText(importer, lead.LastName);
        WriteText(importer, lead.Email);
        WriteText(importer, lead.Phone);
        WriteText(importer, lead.Street);
        WriteText(importer, lead.City);
        WriteText(importer, lead.Region);
        WriteText(importer, lead.PostalCode);
        WriteText(importer, lead.Source);
        WriteText(importer, lead.Medium);
        WriteText(importer, lead.Campaign);
        importer.Write(lead.StatusStageId, NpgsqlDbType.Uuid);
        WriteText(importer, lead.Notes);
        importer.Write(lead.CreatedAt, NpgsqlDbType.TimestampTz);
        importer.Write(lead.UpdatedAt, NpgsqlDbType.TimestampTz);
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    private async Task<IReadOnlyList<StatusStage>> EnsureStageRowsAsync(Guid workspaceId, CancellationToken ct)
    {
        // The workspace row lock makes concurrent calls for one workspace take turns, so the pipeline is
        // created once. NO KEY UPDATE does not block lead inserts, whose foreign key only takes KEY SHARE.
        const string lockWorkspace = """
            SELECT id FROM workspaces WHERE id = @WorkspaceId FOR NO KEY UPDATE
            """;
        const string insertDefaults = """
            INSERT INTO status_stages (id, workspace_id, name, position, kind)
            SELECT s.id, @WorkspaceId, s.name, s.position, s.kind
            FROM unnest(@Ids, @Names, @Positions, @Kinds) AS s (id, name, position, kind)
            WHERE NOT EXISTS (SELECT 1 FROM status_stages WHERE workspace_id = @WorkspaceId)
            """;
        const string select = """
            SELECT id, name, position, kind
            FROM status_stages
            WHERE workspace_id = @WorkspaceId
            ORDER BY position
            """;

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteScalarAsync<Guid?>(
            new CommandDefinition(lockWorkspace, new { WorkspaceId = workspaceId }, transaction, cancellationToken: ct));
        if (found is null)
        {
            throw new InvalidOperationException($"Workspace {workspaceId} does not exist.");
        }

        var defaults = new
        {
            WorkspaceId = workspaceId,
            Ids = DefaultStages.Select(_ => Guid.CreateVersion7()).ToArray(),
            Names = DefaultStages.Select(s => s.Name).ToArray(),
            Positions = Enumerable.Range(1, DefaultStages.Length).ToArray(),
            Kinds = DefaultStages.Select(s => s.Kind).ToArray(),
        };
        await connection.ExecuteAsync(new CommandDefinition(insertDefaults, defaults, transaction, cancellationToken: ct));
        var stages = (await connection.QueryAsync<StatusStage>(
            new CommandDefinition(select, new { WorkspaceId = workspaceId }, transaction, cancellationToken: ct))).AsList();
        await transaction.CommitAsync(ct);
        return stages;
    }

    private static async Task WriteAsync(NpgsqlBinaryImporter importer, Guid workspaceId, SeedLead lead, CancellationToken ct)
    {
        await importer.StartRowAsync(ct);
        await importer.WriteAsync(lead.Id, NpgsqlDbType.Uuid, ct);
        await importer.WriteAsync(workspaceId, NpgsqlDbType.Uuid, ct);
        await WriteTextAsync(importer, lead.FirstName, ct);
        await WriteTextAsync(importer, lead.LastName, ct);
        await WriteTextAsync(importer, lead.Email, ct);
        await WriteTextAsync(importer, lead.Phone, ct);
        await WriteTextAsync(importer, lead.Street, ct);
        await WriteTextAsync(importer, lead.City, ct);
        await WriteTextAsync(importer, lead.Region, ct);
        await WriteTextAsync(importer, lead.PostalCode, ct);
        await WriteTextAsync(importer, lead.Source, ct);
        await WriteTextAsync(importer, lead.Medium, ct);
        await WriteTextAsync(importer, lead.Campaign, ct);
        await importer.WriteAsync(lead.StatusStageId, NpgsqlDbType.Uuid, ct);
        await WriteTextAsync(importer, lead.Notes, ct);
        await importer.WriteAsync(lead.CreatedAt, NpgsqlDbType.TimestampTz, ct);
        await importer.WriteAsync(lead.UpdatedAt, NpgsqlDbType.TimestampTz, ct);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken ct) =>
        value is null ? importer.WriteNullAsync(ct) : importer.WriteAsync(value, NpgsqlDbType.Text, ct);
}
