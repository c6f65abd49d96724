namespace WriteBehindAkka.Sharding;

/// <summary>
/// Where writers wait while the cache is over its pending bound (<see cref="Options.OverflowStrategy.Backpressure"/>).
/// Shards open it when a commit brings the backlog back under the bound; a waiter re-checks the bound after
/// taking the task, so no wake-up is lost.
/// </summary>
internal sealed class CapacityGate
{
    /// <summary>Completed (and replaced) each time the gate opens.</summary>
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many writers are waiting.</summary>
    private int _waiters;

    public bool HasWaiters => Volatile.Read(ref _waiters) > 0;

    /// <summary>Waits until <paramref name="isOverBound"/> is false.</summary>
    public async ValueTask WaitAsync(Func<bool> isOverBound, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                Task opened = Volatile.Read(ref _opened).Task;
                if (!isOverBound())
                {
                    return;
                }

                await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <summary>Wakes every waiter so that it re-checks the bound.</summary>
    public void Open()
    {
        var opened = Interlocked.Exchange(ref _opened, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        opened.TrySetResult();
    }
}
