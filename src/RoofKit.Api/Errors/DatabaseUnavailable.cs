using System.Net.Sockets;
using Npgsql;

namespace RoofKit.Api.Errors;

/// <summary>
/// Tells "the database cannot be reached" (503 <c>unavailable</c>) from a failure of the request itself (500): no
/// connection could be opened or kept (refused, reset, timed out, pool exhausted, Npgsql exceptions that carry no
/// SQLSTATE) or the server says it is going away or not accepting connections (classes 08 and 57P01-57P03).
/// </summary>
public static class DatabaseUnavailable
{
    public static bool Is(Exception exception) => exception switch
    {
        PostgresException e => e.SqlState.StartsWith("08", StringComparison.Ordinal)
            || e.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException { SqlState: null } => true,
        SocketException => true,
        _ => exception.InnerException is { } inner && Is(inner),
    };
}
