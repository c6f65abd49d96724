namespace WriteBehindAkka.Sharding;

/// <summary>
/// Where writers wait while the cache is over its pending bound (<see cref="Options.OverflowStrategy.Backpressure"/>).
/// Shards open it when a commit brings the backlog back under the bound; a waiter re-checks the bound after
/// taking the task, so no wake-up is lost. A waiter let through counts as admitted until its shard has handled its
/// write (counted it in the pending bound, or refused it), and the bound check of the others includes the admitted
/// ones: when one slot frees, one waiter goes, not all of them, nor one after another as each reaches its mailbox.
/// </summary>
internal sealed class CapacityGate
{
    /// <summary>Completed (and replaced) each time the gate opens.</summary>
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many writers are waiting.</summary>
    private int _waiters;

    /// <summary>Guards the admitted counts, so that two waiters cannot both take the last slot.</summary>
    private readonly Lock _admission = new();

    /// <summary>Writes let through whose shard has not handled them yet.</summary>
    private long _admittedEntries;

    /// <summary>The payload bytes of <see cref="_admittedEntries"/>.</summary>
    private long _admittedBytes;

    /// <summary>Gets the writes admitted whose shard has not handled them yet: every bound check counts them, the fast path's too.</summary>
    public long AdmittedEntries => Volatile.Read(ref _admittedEntries);

    /// <summary>Gets the payload bytes of <see cref="AdmittedEntries"/>.</summary>
    public long AdmittedBytes => Volatile.Read(ref _admittedBytes);

    public bool HasWaiters => Volatile.Read(ref _waiters) > 0;

    /// <summary>
    /// Waits until <paramref name="isOverBound"/>, given the writes already admitted (entries, bytes), is false, and
    /// admits this write of <paramref name="bytes"/>, which must be <see cref="Release"/>d once its shard has handled it,
    /// or when it failed to reach the shard.
    /// </summary>
    public async ValueTask WaitAsync(Func<long, long, bool> isOverBound, int bytes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                Task opened = Volatile.Read(ref _opened).Task;
                lock (_admission)
                {
                    if (!isOverBound(_admittedEntries, _admittedBytes))
                    {
                        _admittedEntries++;
                        _admittedBytes += bytes;
                        return;
                    }
                }

                await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <summary>
    /// Ends an admission, and wakes the waiters when the bound (<paramref name="isOverBound"/>, as for
    /// <see cref="WaitAsync"/>) leaves room now: a write that added nothing to the pending bound (it did not reach its
    /// shard, the journal refused it, it coalesced into a pending key) must not leave a waiter held back only by its
    /// admission asleep until some commit.
    /// </summary>
    public void Release(int bytes, Func<long, long, bool> isOverBound)
    {
        bool room;
        lock (_admission)
        {
            _admittedEntries--;
            _admittedBytes -= bytes;
            room = HasWaiters && !isOverBound(_admittedEntries, _admittedBytes);
        }

        if (room)
        {
            Open();
        }
    }

    /// <summary>Wakes every waiter so that it re-checks the bound.</summary>
    public void Open()
    {
        var opened = Interlocked.Exchange(ref _opened, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        opened.TrySetResult();
    }
}
