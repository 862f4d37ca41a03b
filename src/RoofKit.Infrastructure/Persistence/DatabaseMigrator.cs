using System.Globalization;
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

    /// <summary>
    /// DbUp's line, formatted, without the stack trace it may carry: DbUp passes an exception's <c>ToString()</c> as
    /// a message or an argument ("Upgrade failed due to an unexpected exception: {0}"), so the text is cut where the
    /// first frame (<c>at …</c>) begins and its remaining lines are joined with spaces.
    /// </summary>
    public static string OneLine(string format, params object[] args)
    {
        string text;
        try
        {
            text = args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
        }
        catch (FormatException)
        {
            text = format;
        }

        var kept = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("at ", StringComparison.Ordinal) || line.StartsWith("--- End of", StringComparison.Ordinal))
            {
                break;
            }

            if (line.Length > 0)
            {
                kept.Add(line);
            }
        }

        return string.Join(' ', kept);
    }

    /// <summary>DbUp's lines, each formatted only when its level is logged, and on one line (<see cref="OneLine"/>).</summary>
    private sealed class Log(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, null, format, args);

        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);

        public void LogInformation(string format, params object[] args) => Write(LogLevel.Information, null, format, args);

        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, null, format, args);

        public void LogError(string format, params object[] args) => Write(LogLevel.Error, null, format, args);

        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, ex, format, args);

        private void Write(LogLevel level, Exception? exception, string format, object[] args)
        {
            if (logger.IsEnabled(level))
            {
                logger.Log(level, exception, "{Message}", OneLine(format, args));
            }
        }
    }
}
