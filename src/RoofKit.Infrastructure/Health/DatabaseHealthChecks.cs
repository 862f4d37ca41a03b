namespace RoofKit.Infrastructure.Health;

/// <summary>
/// The names of the instance's health checks and the tags that group them: <see cref="Database"/> for <c>/healthz</c> (both pools
/// answer) and <see cref="Ready"/> for <c>/healthz/ready</c> (both pools, and every migration applied).
/// </summary>
public static class DatabaseHealthChecks
{
    public const string Database = "database";
    public const string Ready = "ready";

    /// <summary>The primary through the control pool (keys, counters, export slots).</summary>
    public const string Primary = "primary";

    /// <summary>The read pool (leads, deletions, stages): on the replica when <c>ConnectionStrings:ReadReplica</c> is set.</summary>
    public const string Read = "read";

    public const string Migrations = "migrations";

    /// <summary>As long as a load balancer waits for an answer at most; the connect timeout (3 s) comes first.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
}
