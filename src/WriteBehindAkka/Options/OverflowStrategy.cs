namespace WriteBehindAkka.Options;

/// <summary>
/// What a write does when the cache already holds its bound of pending (not yet committed) entries or
/// bytes. Named after Akka.Streams' <c>OverflowStrategy</c>. No strategy ever drops an accepted write.
/// </summary>
public enum OverflowStrategy
{
    /// <summary><c>SetAsync</c>/<c>DeleteAsync</c> wait until the backlog drains below the bound; <c>TrySet</c>/<c>TryDelete</c> return false.</summary>
    Backpressure = 0,

    /// <summary>Every write past the bound fails at once with <see cref="CacheOverflowException"/>.</summary>
    Fail = 1,
}
