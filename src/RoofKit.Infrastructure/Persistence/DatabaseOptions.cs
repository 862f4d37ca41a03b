namespace RoofKit.Infrastructure.Persistence;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Longest a statement may run before PostgreSQL cancels it.</summary>
    public int StatementTimeoutSeconds { get; set; } = 30;

    /// <summary>How long opening a connection may take, so a database that is down fails fast.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 3;

    /// <summary>
    /// Connections for keys, rate-limit counters and export slots (the control pool): small statements that every
    /// request makes first, so they must never queue behind data reads.
    /// </summary>
    public int MaxPoolSize { get; set; } = 20;

    /// <summary>Connections for reading leads, deletions and stages (the read pool), on the replica when one is set.</summary>
    public int ReadMaxPoolSize { get; set; } = 30;

    /// <summary>
    /// With a read replica: how long a sync page waits for the replica to replay what its run's watermark promises
    /// before it reads from the primary instead (ADR-011). Default 2000 ms.
    /// </summary>
    public int ReplicaWaitMilliseconds { get; set; } = 2000;
}
