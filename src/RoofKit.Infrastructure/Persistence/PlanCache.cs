using System.Globalization;
using Dapper;
using Npgsql;

namespace RoofKit.Infrastructure.Persistence;

/// <summary>
/// What PostgreSQL keeps of a page's plan (ADR-010). Statements are prepared (Npgsql's auto-prepare), and after five
/// executions PostgreSQL weighs a prepared statement's generic plan against the plans it made for the values:
/// <list type="bullet">
/// <item>A LIMIT given as a parameter is costed as if it let a tenth of the rows through, so the generic plan never
/// looks as cheap and the statement is planned again at every page: a list page cost PostgreSQL three times its
/// execution (bench: 159 against 56 µs of CPU). Written into the statement (<see cref="Limit"/>), it leaves a plan
/// made once per connection and shape.</item>
/// <item>A search is the opposite case: how many leads a term matches decides between the trigram index and the
/// keyset index, and a generic plan knows no term. It is planned for its own term every time
/// (<see cref="PlanEachExecutionAsync"/>, for the transaction it runs in).</item>
/// </list>
/// </summary>
internal static class PlanCache
{
    /// <summary>
    /// Makes the statements of <paramref name="transaction"/> planned for their values at every execution: a search's,
    /// whether a list page's or an export segment's.
    /// </summary>
    public static Task PlanEachExecutionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SET LOCAL plan_cache_mode = force_custom_plan", transaction: transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// A LIMIT's value as SQL text: an <see cref="int"/> the query's parser bounded, never text from a request, so it is
    /// written into the statement instead of bound as a parameter.
    /// </summary>
    public static string Limit(int take)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(take);
        return take.ToString(CultureInfo.InvariantCulture);
    }
}
