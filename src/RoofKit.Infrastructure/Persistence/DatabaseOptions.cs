namespace RoofKit.Infrastructure.Persistence;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Longest a statement may run before PostgreSQL cancels it.</summary>
    public int StatementTimeoutSeconds { get; set; } = 30;

    /// <summary>How long opening a connection may take, so a database that is down fails fast.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 3;

    public int MaxPoolSize { get; set; } = 50;
}

/// <summary>The read side's data source: the replica when <c>ConnectionStrings:ReadReplica</c> is set, else the primary.</summary>
public sealed class ReadDataSource(Npgsql.NpgsqlDataSource dataSource)
{
    public Npgsql.NpgsqlDataSource DataSource { get; } = dataSource;
}
