using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace RoofKit.Api.Observability;

/// <summary>
/// Keeps stack traces out of the console log: an exception logged with a line (a request's 500, a background
/// service's failed run) reaches the console formatter as one line naming its type, its message and the API's method
/// it came through, not the frames, file paths and driver internals of <see cref="Exception.ToString"/>. The line
/// still goes to the log at its level, with its scope (<c>request_id</c>, ...).
/// </summary>
public static class OneLineExceptions
{
    private const int MaxInnerExceptions = 3;

    /// <summary>Wraps the console logger provider <c>CreateBuilder</c> registered; other providers are left as they are.</summary>
    public static IServiceCollection AddOneLineExceptionConsoleLog(this IServiceCollection services)
    {
        var console = services.FirstOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is not null)
        {
            services.Remove(console);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, ConsoleProvider>(provider => new ConsoleProvider(
                new ConsoleLoggerProvider(provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), provider.GetServices<ConsoleFormatter>()))));
        }

        return services;
    }

    /// <summary>
    /// <c>Type: message (in RoofKit.Namespace.Type.Method)</c>, then <c> ---> </c> and the same for up to three inner
    /// exceptions; line breaks in a message become spaces.
    /// </summary>
    public static string Summary(Exception exception)
    {
        try
        {
            return Describe(exception);
        }
        catch (Exception unexpected) when (unexpected is not OutOfMemoryException)
        {
            // An exception type whose Message or stack walk misbehaves must not turn logging it into a failure.
            return exception.GetType().FullName ?? "an exception";
        }
    }

    private static string Describe(Exception exception)
    {
        var line = new StringBuilder();
        var current = exception;
        for (var depth = 0; current is not null && depth <= MaxInnerExceptions; depth++, current = current.InnerException)
        {
            if (depth > 0)
            {
                line.Append(" ---> ");
            }

            line.Append(current.GetType().FullName).Append(": ");
            AppendOnOneLine(line, current.Message ?? string.Empty);
            if (Site(current) is { } site)
            {
                line.Append(" (in ").Append(site).Append(')');
            }
        }

        return line.ToString();
    }

    /// <summary>The first of the API's own methods on the exception's way, by name: where to start reading the code.</summary>
    private static string? Site(Exception exception)
    {
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: false).GetFrames())
        {
            if (frame.GetMethod() is not { DeclaringType: { } type } method)
            {
                continue;
            }

            // Compiler-made types are nested in the method's type: an async method runs as MoveNext of <Method>d__N, a
            // lambda as <Method>b__N of <>c (or of <>c__DisplayClass), an async lambda as MoveNext of <<Method>b__N>d.
            var name = method.Name;
            while (type.Name.StartsWith('<') && type.DeclaringType is { } outer)
            {
                if (name == "MoveNext")
                {
                    name = type.Name;
                }

                type = outer;
            }

            if (type.FullName is { } full && full.StartsWith("RoofKit.", StringComparison.Ordinal))
            {
                return $"{full}.{Unmangled(name)}";
            }
        }

        return null;
    }

    /// <summary><c>&lt;&lt;Method&gt;b__0_0&gt;d</c> and <c>&lt;Method&gt;d__5</c> are <c>Method</c>; other names stay.</summary>
    private static string Unmangled(string name)
    {
        var start = name.TrimStart('<');
        var end = start.IndexOf('>', StringComparison.Ordinal);
        return start.Length < name.Length && end > 0 ? start[..end] : name;
    }

    private static void AppendOnOneLine(StringBuilder line, string text)
    {
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space)
            {
                line.Append(' ');
                space = false;
            }

            line.Append(c);
        }
    }

    /// <summary>What the console formatter is given instead of the exception: never thrown, so it has no frames.</summary>
    private sealed class LoggedException(Exception original) : Exception(Summary(original))
    {
        public override string ToString() => Message;
    }

    /// <summary>The console provider under its own alias, so that <c>Logging:Console:LogLevel</c> still applies to it.</summary>
    [ProviderAlias("Console")]
    private sealed class ConsoleProvider(ConsoleLoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception is null ? null : new LoggedException(exception), formatter);
    }
}
