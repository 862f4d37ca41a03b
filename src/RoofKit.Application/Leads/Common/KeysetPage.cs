namespace RoofKit.Application.Leads.Common;

/// <summary>
/// The one answer to "is there a next page?" for list, export and deletions: a slice reads <c>Limit + 1</c> rows, the
/// first <c>Limit</c> are the page, and an extra row only says that more follow; the page's last row is where the
/// next page starts after.
/// </summary>
public static class KeysetPage
{
    /// <summary>Hands each row of the page to <paramref name="take"/>, in order, and stops reading after the extra one.</summary>
    public static async Task<KeysetPageEnd> ReadAsync<T>(
        IAsyncEnumerable<T> rows, int limit, Func<T, KeysetPosition> positionOf, Func<T, ValueTask> take, CancellationToken cancellationToken)
    {
        var count = 0;
        KeysetPosition? last = null;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (count == limit)
            {
                return new KeysetPageEnd(count, true, last);
            }

            await take(row);
            last = positionOf(row);
            count++;
        }

        return new KeysetPageEnd(count, false, last);
    }

    /// <summary>The page as a list, with how it ends.</summary>
    public static async Task<(List<T> Rows, KeysetPageEnd End)> ToListAsync<T>(
        IAsyncEnumerable<T> rows, int limit, Func<T, KeysetPosition> positionOf, CancellationToken cancellationToken)
    {
        var page = new List<T>(Math.Min(limit, 1000));
        var end = await ReadAsync(rows, limit, positionOf, row =>
        {
            page.Add(row);
            return ValueTask.CompletedTask;
        }, cancellationToken);
        return (page, end);
    }
}
