namespace WriteBehindAkka.Sharding;

/// <summary>
/// Counts, per flush epoch, the write sets not yet committed, so that a flush knows when every write
/// accepted before it is done. A flush closes the current epoch; it completes when no epoch up to the closed
/// one has anything left. Writes that arrive after the flush count in a later epoch, so a key rewritten
/// without pause never holds a flush up.
/// </summary>
internal sealed class EpochCounter
{
    /// <summary>Open counts of closed epochs; epochs that reach zero are removed.</summary>
    private readonly SortedDictionary<int, long> _closed = [];

    /// <summary>
    /// The state of the reply of a flush the cache makes for itself (before journal truncation): it is answered
    /// with 0 and leaves the failures for the flushes of users.
    /// </summary>
    public static readonly object QuietFlush = new();

    /// <summary>
    /// The state of the reply of shutdown's flush: the shard takes no write after it (a write that raced the start
    /// of the shutdown is refused instead of being applied after the last flush, where nothing would write it).
    /// </summary>
    public static readonly object FinalFlush = new();

    /// <summary>Flushes waiting, in epoch order.</summary>
    private readonly Queue<(int Epoch, TaskCompletionSource<long> Reply)> _waiters = new();

    /// <summary>How many of <see cref="_waiters"/> report failures (are not <see cref="QuietFlush"/>).</summary>
    private int _reportingWaiters;

    /// <summary>The epoch new writes count in.</summary>
    public int Current { get; private set; }

    /// <summary>The open count of the current epoch (kept apart: the hot path touches only this).</summary>
    private long _current;

    /// <summary>Writes that ended Failed, by the epoch they were accepted in, until a flush reports them.</summary>
    private readonly Dictionary<int, long> _failures = [];

    /// <summary>Counts a write of <paramref name="epoch"/> that ended Failed, for the flush that waits for it.</summary>
    public void RecordFailure(int epoch) => _failures[epoch] = _failures.GetValueOrDefault(epoch) + 1;

    public void Add(int epoch)
    {
        if (epoch == Current)
        {
            _current++;
        }
        else
        {
            _closed[epoch] = _closed.GetValueOrDefault(epoch) + 1;
        }
    }

    public void Remove(int epoch)
    {
        if (epoch == Current)
        {
            _current--;
            return;
        }

        long left = _closed[epoch] - 1;
        if (left == 0)
        {
            _closed.Remove(epoch);
        }
        else
        {
            _closed[epoch] = left;
        }
    }

    /// <summary>Closes the current epoch and queues a waiter for it.</summary>
    public void AddWaiter(TaskCompletionSource<long> reply)
    {
        if (_current > 0)
        {
            _closed[Current] = _current;
        }

        _waiters.Enqueue((Current, reply));
        if (reply.Task.AsyncState != QuietFlush)
        {
            _reportingWaiters++;
        }

        Current++;
        _current = 0;
    }

    /// <summary>
    /// Completes every waiter whose epoch and all before it have nothing left, with the failed writes of those
    /// epochs not reported yet: each failure is reported to every flush requested before a flush reported it
    /// (so two overlapping flushes both count it, and the next flush after them does not).
    /// </summary>
    public void Release()
    {
        while (_waiters.Count > 0)
        {
            int oldestOpen = _closed.Count == 0 ? int.MaxValue : _closed.Keys.First();
            var (epoch, reply) = _waiters.Peek();
            if (epoch >= oldestOpen)
            {
                return;
            }

            _waiters.Dequeue();
            if (reply.Task.AsyncState == QuietFlush)
            {
                reply.TrySetResult(0);
                continue;
            }

            _reportingWaiters--;
            reply.TrySetResult(SumFailures(epoch, remove: _reportingWaiters == 0));
        }
    }

    /// <summary>Sums the failures of epochs up to <paramref name="epoch"/>, removing them when no other flush waits to report them.</summary>
    private long SumFailures(int epoch, bool remove)
    {
        if (_failures.Count == 0)
        {
            return 0;
        }

        long failed = 0;
        foreach (var (failedEpoch, count) in _failures.ToList())
        {
            if (failedEpoch <= epoch)
            {
                failed += count;
                if (remove)
                {
                    _failures.Remove(failedEpoch);
                }
            }
        }

        return failed;
    }

    /// <summary>Fails every waiter (the shard stopped).</summary>
    public void FailAll(Exception error)
    {
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.Reply.TrySetException(error);
        }

        _reportingWaiters = 0;
    }
}
