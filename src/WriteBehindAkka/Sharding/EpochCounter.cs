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

    /// <summary>Flushes waiting, in epoch order, each with its sequence number (0 for one that reports no failures).</summary>
    private readonly Queue<(int Epoch, TaskCompletionSource<long> Reply, long Sequence)> _waiters = new();

    /// <summary>The sequence number of the newest flush queued that reports failures.</summary>
    private long _lastSequence;

    /// <summary>The epoch new writes count in.</summary>
    public int Current { get; private set; }

    /// <summary>The open count of the current epoch (kept apart: the hot path touches only this).</summary>
    private long _current;

    /// <summary>
    /// Writes that ended Failed, by the epoch they were accepted in, with the sequence number of the newest flush
    /// queued when a flush first reported them (0: not reported yet): every flush up to that one reports them too.
    /// </summary>
    private readonly Dictionary<int, (long Count, long ReportedUpTo)> _failures = [];

    /// <summary>Counts a write of <paramref name="epoch"/> that ended Failed, for the flush that waits for it.</summary>
    public void RecordFailure(int epoch)
    {
        var known = _failures.GetValueOrDefault(epoch);
        _failures[epoch] = (known.Count + 1, known.ReportedUpTo);
    }

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

        _waiters.Enqueue((Current, reply, reply.Task.AsyncState == QuietFlush ? 0 : ++_lastSequence));
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
            var (epoch, reply, sequence) = _waiters.Peek();
            if (epoch >= oldestOpen)
            {
                return;
            }

            _waiters.Dequeue();
            if (sequence == 0)
            {
                reply.TrySetResult(0);
                continue;
            }

            // Counted first, and taken only if the flush's caller still waits: a flush whose caller gave up (its reply
            // cancelled) reported nothing, so the failures no flush reported yet stay for the next one.
            long failed = CountFailures(epoch);
            SettleFailures(epoch, sequence, reported: reply.TrySetResult(failed));
        }
    }

    /// <summary>Sums the failures of epochs up to <paramref name="epoch"/>.</summary>
    private long CountFailures(int epoch)
    {
        long failed = 0;
        foreach (var (failedEpoch, (count, _)) in _failures)
        {
            failed += failedEpoch <= epoch ? count : 0;
        }

        return failed;
    }

    /// <summary>
    /// Settles the failures of epochs up to <paramref name="epoch"/> once the flush numbered <paramref name="sequence"/>
    /// is answered. A failure first reported now (<paramref name="reported"/>) is also owed to every flush queued
    /// already; it goes once the newest of them has it. A flush that reported nothing (its caller gave up) takes only
    /// what an earlier flush reported and was owed no further than it.
    /// </summary>
    private void SettleFailures(int epoch, long sequence, bool reported)
    {
        if (_failures.Count == 0)
        {
            return;
        }

        foreach (var (failedEpoch, (count, reportedUpTo)) in _failures.ToList())
        {
            if (failedEpoch > epoch || (!reported && reportedUpTo == 0))
            {
                continue;
            }

            long owedUpTo = reportedUpTo == 0 ? _lastSequence : reportedUpTo;
            if (sequence >= owedUpTo)
            {
                _failures.Remove(failedEpoch);
            }
            else
            {
                _failures[failedEpoch] = (count, owedUpTo);
            }
        }
    }

    /// <summary>Fails every waiter (the shard stopped).</summary>
    public void FailAll(Exception error)
    {
        while (_waiters.TryDequeue(out var waiter))
        {
            waiter.Reply.TrySetException(error);
        }
    }
}
