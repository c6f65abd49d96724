namespace WriteBehindAkka.Journal;

/// <summary>An Ask waiting for its record to be fsynced: where the record ends in the journal, and what to answer.</summary>
internal struct JournalWaiter(long position, TaskCompletionSource<WriteResult> reply, long version)
{
    public readonly long Position = position;
    public readonly TaskCompletionSource<WriteResult> Reply = reply;
    public readonly long Version = version;

    /// <summary>Set when its segment can no longer be trusted (an fsync or its seal failed): no later fsync may acknowledge it.</summary>
    public Exception? Error;
}

/// <summary>
/// Waiters in the order their records were appended (so by position): a ring that is taken from the front as
/// the journal fsyncs, and marked in place when a segment fails. Not thread-safe: the journal guards it.
/// </summary>
internal sealed class JournalWaiters
{
    private JournalWaiter[] _items = new JournalWaiter[64];
    private int _head;

    public int Count { get; private set; }

    public void Enqueue(in JournalWaiter waiter)
    {
        if (Count == _items.Length)
        {
            var larger = new JournalWaiter[_items.Length * 2];
            for (int i = 0; i < Count; i++)
            {
                larger[i] = _items[(_head + i) % _items.Length];
            }

            _items = larger;
            _head = 0;
        }

        _items[(_head + Count) % _items.Length] = waiter;
        Count++;
    }

    /// <summary>Moves every waiter whose record ends at or before <paramref name="position"/> to <paramref name="taken"/>.</summary>
    public void TakeUpTo(long position, List<JournalWaiter> taken)
    {
        while (Count > 0 && _items[_head].Position <= position)
        {
            taken.Add(_items[_head]);
            _items[_head] = default;
            _head = (_head + 1) % _items.Length;
            Count--;
        }
    }

    /// <summary>Marks the waiters whose records lie in (<paramref name="from"/>, <paramref name="to"/>] as failed.</summary>
    public void MarkFailed(long from, long to, Exception error)
    {
        for (int i = 0; i < Count; i++)
        {
            ref var waiter = ref _items[(_head + i) % _items.Length];
            if (waiter.Position > from && waiter.Position <= to)
            {
                waiter.Error ??= error;
            }
        }
    }
}
