namespace RoofKit.Api.Tests.Support;

/// <summary>
/// Waits for a state the test expects to come about (a pool gone idle, a file deleted, a server back). The patience is
/// generous on purpose: it is no bound on speed, only the point at which the test gives up on a state that never comes.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test with <paramref name="because"/> if it never does.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string because, TimeSpan? patience = null)
    {
        using var giveUp = new CancellationTokenSource(patience ?? Patience);
        while (!await condition())
        {
            if (giveUp.IsCancellationRequested)
            {
                Assert.Fail($"Gave up waiting after {(patience ?? Patience).TotalSeconds:0} s: {because}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string because, TimeSpan? patience = null) =>
        UntilAsync(() => Task.FromResult(condition()), because, patience);
}
