using WriteBehindAkka.Storage;

namespace WriteBehindAkka.TestKit;

/// <summary>
/// A dead-letter store in memory, with the semantics of the PostgreSQL dead-letter table (one letter per key, the
/// highest version kept; delete only the very letter read), and scriptable failures (<see cref="FailNext"/>).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class InMemoryDeadLetterStore<TKey> : IDeadLetterStore<TKey>
    where TKey : notnull
{
    /// <summary>
    /// The order of letters that failed at the same instant: a string key's own order; any other key's invariant
    /// text (a number's digits, a Guid's 36 characters), as the PostgreSQL table orders by its text key column, so
    /// that the int keys 9 and 10 list as "10" before "9" there and here.
    /// </summary>
    private static readonly IComparer<TKey> KeyOrder =
        typeof(TKey) == typeof(string)
            ? Comparer<TKey>.Default
            : Comparer<TKey>.Create(static (a, b) => string.CompareOrdinal(
                Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToString(b, System.Globalization.CultureInfo.InvariantCulture)));

    private readonly object _lock = new();
    private readonly Dictionary<TKey, DeadLetter<TKey>> _letters = [];
    private readonly Queue<Exception> _failures = new();
    private int _writes;

    /// <summary>How many times <see cref="WriteAsync"/> was called (failed calls included).</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>A snapshot of the letters, by key.</summary>
    public IReadOnlyDictionary<TKey, DeadLetter<TKey>> Letters
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TKey, DeadLetter<TKey>>(_letters);
            }
        }
    }

    /// <summary>Makes the next <paramref name="count"/> calls of <see cref="WriteAsync"/> throw (by default a transient error).</summary>
    /// <param name="count">How many calls fail.</param>
    /// <param name="error">The exception; <see langword="null"/> for a transient <see cref="SimulatedStoreException"/>.</param>
    public void FailNext(int count, Exception? error = null)
    {
        lock (_lock)
        {
            for (int i = 0; i < count; i++)
            {
                _failures.Enqueue(error ?? new SimulatedStoreException("Simulated transient dead-letter store error."));
            }
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<DeadLetter<TKey>> letters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letters);
        Interlocked.Increment(ref _writes);
        lock (_lock)
        {
            if (_failures.TryDequeue(out var failure))
            {
                throw failure;
            }

            foreach (var letter in letters)
            {
                if (!_letters.TryGetValue(letter.Key, out var existing) || existing.Version <= letter.Version)
                {
                    _letters[letter.Key] = letter;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <returns>
    /// The kind of a <see cref="SimulatedStoreException"/>; as the PostgreSQL dead-letter table classifies
    /// client-side errors, transient for a timeout, an I/O or socket error or a cancellation; permanent for anything else.
    /// </returns>
    public StoreErrorKind Classify(Exception error) => SimulatedStoreException.Classify(error);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeadLetter<TKey>>> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        lock (_lock)
        {
            IReadOnlyList<DeadLetter<TKey>> page = _letters.Values
                .OrderBy(letter => letter.FailedAt)
                .ThenBy(letter => letter.Key, KeyOrder)
                .Skip(offset)
                .Take(limit)
                .ToList();
            return ValueTask.FromResult(page);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult((long)_letters.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask<DeadLetter<TKey>?> GetAsync(TKey key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_letters.GetValueOrDefault(key));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(DeadLetter<TKey> letter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        lock (_lock)
        {
            bool same = _letters.TryGetValue(letter.Key, out var existing)
                && existing.Version == letter.Version
                && existing.FailedAt == letter.FailedAt;
            return ValueTask.FromResult(same && _letters.Remove(letter.Key));
        }
    }
}
