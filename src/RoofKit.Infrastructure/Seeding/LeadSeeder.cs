using Dapper;
using Npgsql;
using NpgsqlTypes;
using RoofKit.Domain.Leads;

namespace RoofKit.Infrastructure.Seeding;

/// <summary>
/// Demo data for a workspace: the default pipeline, and any number of realistic US roofing leads, written with
/// binary COPY over parallel connections (a million leads in about a minute on a two-core database).
/// </summary>
public sealed class LeadSeeder(NpgsqlDataSource dataSource)
{
    // One COPY, and so one transaction, per batch: a failed or cancelled run keeps the batches it finished.
    private const int BatchSize = 50_000;

    // Parallel COPY connections. The server's work per row (the trigram GIN index above all, then the two
    // foreign-key checks and the btrees) is what a seed waits for, and one backend does it on one core; two
    // writers roughly halve a million-row seed on a two-core database, more gain little and crowd the server.
    private const int Writers = 2;

    private const int ProgressEvery = 50_000;
    private const int ProgressChunk = 1_000;

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
    /// how many were written. The same <paramref name="seed"/> and count give the same leads (names, contacts,
    /// addresses, marketing, notes, stages) whenever they run; timestamps span the two years before the run, so
    /// they move with the clock, and ids are always new. <paramref name="progress"/> hears (rows sent, total)
    /// about every 5% or 50,000 rows, whichever comes first, and (rows written, total) at the end.
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

        // Each batch draws from its own Random, seeded in order from Random(seed), so the rows do not depend on
        // which writer happens to take which batch.
        var batchCount = (int)((count + (long)BatchSize - 1) / BatchSize);
        var master = new Random(seed);
        var batchSeeds = new int[batchCount];
        for (var i = 0; i < batchCount; i++)
        {
            batchSeeds[i] = master.Next();
        }
        var run = new SeedRun(workspaceId, count, DateTime.UtcNow, stages, batchSeeds, progress);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writers = new Task[Math.Min(Writers, batchCount)];
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = Task.Run(() => WriteBatchesAsync(run, failed), CancellationToken.None);
        }
        // A writer that fails cancels the others; WhenAll then throws the failure, not their cancellations.
        await Task.WhenAll(writers);

        var written = Interlocked.Read(ref run.Written);
        progress?.Report((written, count));
        return written;
    }

    private async Task WriteBatchesAsync(SeedRun run, CancellationTokenSource failed)
    {
        var ct = failed.Token;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var lead = new SeedLead();
            int batch;
            while ((batch = Interlocked.Increment(ref run.NextBatch)) < run.BatchSeeds.Length)
            {
                var rows = (int)Math.Min(BatchSize, run.Count - (long)batch * BatchSize);
                var generator = new LeadGenerator(run.BatchSeeds[batch], run.NowUtc, run.Stages);
                await using var importer = await connection.BeginBinaryImportAsync(CopySql, ct);
                for (var i = 1; i <= rows; i++)
                {
                    generator.Next(lead);
                    await WriteAsync(importer, run.WorkspaceId, lead, ct);
                    if (i % ProgressChunk == 0 || i == rows)
                    {
                        run.Sent(i % ProgressChunk == 0 ? ProgressChunk : i % ProgressChunk);
                    }
                }
                Interlocked.Add(ref run.Written, (long)await importer.CompleteAsync(ct));
            }
        }
        catch
        {
            await failed.CancelAsync();
            throw;
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

    /// <summary>What the writers of one <see cref="SeedAsync"/> call share.</summary>
    private sealed class SeedRun(
        Guid workspaceId, int count, DateTime nowUtc, IReadOnlyList<StatusStage> stages, int[] batchSeeds,
        IProgress<(long Done, long Total)>? progress)
    {
        private readonly Lock _gate = new();
        private readonly long _reportEvery = Math.Clamp(count / 20, 1, ProgressEvery);
        private long _sent;

        public int NextBatch = -1;
        public long Written;

        public Guid WorkspaceId { get; } = workspaceId;
        public int Count { get; } = count;
        public DateTime NowUtc { get; } = nowUtc;
        public IReadOnlyList<StatusStage> Stages { get; } = stages;
        public int[] BatchSeeds { get; } = batchSeeds;

        public void Sent(int rows)
        {
            lock (_gate)
            {
                var before = _sent;
                _sent += rows;
                if (progress is not null && _sent / _reportEvery > before / _reportEvery && _sent < Count)
                {
                    progress.Report((_sent, Count));
                }
            }
        }
    }
}
