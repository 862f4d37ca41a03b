using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>Applies the numbered SQL files embedded in this assembly, once each, in order (DbUp's journal).</summary>
public sealed class DatabaseMigrator(string connectionString, ILogger<DatabaseMigrator> logger)
{
    /// <summary>The migrations of this build, by the names DbUp journals them under (the embedded resources' names).</summary>
    public static IReadOnlyList<string> ScriptNames { get; } = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
        .Where(IsMigration).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Migrate()
    {
        var upgrader = DeployChanges.To
            .PostgresqlDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, IsMigration)
            .WithTransactionPerScript()
            .LogTo(new Log(logger))
            .Build();

        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Migration {result.ErrorScript?.Name} failed.", result.Error);
        }

        return result.Scripts.Select(s => s.Name).ToList();
    }

    private static bool IsMigration(string resourceName) => resourceName.EndsWith(".sql", StringComparison.Ordinal);

    private sealed class Log(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace(format, args);

        public void LogDebug(string format, params object[] args) => logger.LogDebug(format, args);

        public void LogInformation(string format, params object[] args) => logger.LogInformation(format, args);

        public void LogWarning(string format, params object[] args) => logger.LogWarning(format, args);

        public void LogError(string format, params object[] args) => logger.LogError(format, args);

        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, format, args);
    }
}
