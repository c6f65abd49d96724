namespace WriteBehindAkka.TestKit;

/// <summary>Awaitable probes on a cache, in the spirit of Akka.TestKit's <c>AwaitCondition</c>/<c>ExpectMsg</c>: each waits within a real-time budget and fails with a message saying what it saw.</summary>
public static class CacheProbe
{
    /// <summary>The pause between two looks at the cache.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    /// <summary>Waits until a key's status is in <paramref name="state"/>, and returns that status.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key.</param>
    /// <param name="state">The state to wait for.</param>
    /// <param name="within">The real-time budget.</param>
    /// <returns>The key's status once it is in that state.</returns>
    /// <exception cref="TimeoutException">The key did not reach the state within the budget; the message names the last status seen.</exception>
    public static async Task<KeyStatus> ExpectStatusAsync<TKey, TValue>(this IWriteBehindCache<TKey, TValue> cache, TKey key, WriteState state, TimeSpan within)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        using var budget = new CancellationTokenSource(within);
        KeyStatus last = KeyStatus.NotCached;
        try
        {
            while (true)
            {
                last = await cache.GetStatusAsync(key, budget.Token).ConfigureAwait(false);
                if (last.State == state)
                {
                    return last;
                }

                await Task.Delay(Interval, budget.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            throw new TimeoutException($"Expected key '{key}' to be {state} within {within}, but it was {last.State} (version {last.Version}, committed {last.CommittedVersion}, last error {last.LastError ?? "none"}).");
        }
    }
}
