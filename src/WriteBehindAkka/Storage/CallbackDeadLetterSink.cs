namespace WriteBehindAkka.Storage;

/// <summary>A dead-letter sink that hands each group of letters to a callback (to log them, queue them elsewhere, alert).</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <remarks>
/// The callback runs on a writer loop, which waits for it: keep it short. When it throws, the call is retried with
/// the restart backoff; a letter the callback never takes keeps its record Failed in memory.
/// </remarks>
public sealed class CallbackDeadLetterSink<TKey> : IDeadLetterSink<TKey>
    where TKey : notnull
{
    /// <summary>The callback.</summary>
    private readonly Func<IReadOnlyList<DeadLetter<TKey>>, CancellationToken, ValueTask> _callback;

    /// <summary>Creates the sink.</summary>
    /// <param name="callback">Called with each group of letters (never empty); the letters are durable when it completes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    public CallbackDeadLetterSink(Func<IReadOnlyList<DeadLetter<TKey>>, CancellationToken, ValueTask> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callback = callback;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<DeadLetter<TKey>> letters, CancellationToken cancellationToken) => _callback(letters, cancellationToken);
}
