using System.Threading.Channels;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Journal;

/// <summary>
/// The local append-only journal. Shards encode their records straight into the current segment, a file mapped
/// into memory (<see cref="JournalSegment"/>), under a short lock: once a record is copied in it is in the
/// operating system's page cache, where a write(2) would have put it, so a crash of the process cannot lose it,
/// and no system call is made per record. That is all <see cref="FsyncPolicy.EverySecond"/> and
/// <see cref="FsyncPolicy.No"/> wait for: an Ask completes on the caller's thread. With
/// <see cref="FsyncPolicy.Always"/>, and for a <see cref="WriteConsistency.Journaled"/> write, the journal's loop
/// fsyncs, with group commit: one fsync covers every record appended while the previous one ran, and the Asks it
/// covers are answered after it. Full segments are sealed; a sealed segment is deleted once every write accepted
/// before its end is committed (the cache runs a flush for that), which keeps the journal about as large as the
/// backlog.
/// </summary>
/// <remarks>
/// Locks: <c>_appendLock</c> guards the current segment's contents, the positions and the waiters; <c>_syncLock</c>
/// guards fsyncs and swapping the segment. A roll takes the sync lock inside the append lock; an fsync never
/// takes the append lock while it holds the sync lock.
/// </remarks>
internal sealed class WriteAheadJournal
{
    /// <summary>Failed record ranges remembered for callers that have not looked yet; older ones count as failed.</summary>
    private const int RememberedFailures = 64;

    private readonly JournalOptions _options;
    private readonly bool _always;
    private readonly object _segmentsLock = new();

    /// <summary>Sealed segments, oldest first (number, bytes). Guarded by <see cref="_segmentsLock"/>.</summary>
    private readonly List<(long Number, long Bytes)> _sealed;
    private readonly FileStream _lockFile;
    private readonly ITimer? _syncTimer;
    private readonly Task _loop;

    /// <summary>Wakes the loop; one pending wake is enough, the loop takes everything appended when it runs.</summary>
    private readonly Channel<bool> _kick = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Called by the appender that sealed a segment, with its number: the cache flushes, then deletes up to it.</summary>
    private readonly Action<long> _onSealed;

    /// <summary>Called when deleting segments freed space (to wake writers waiting on the bound).</summary>
    private readonly Action _onSpaceFreed;

    /// <summary>Called when a record could not be appended, with the error and its size (to log it).</summary>
    private readonly Action<Exception, int> _onWriteFailed;

    private readonly Lock _appendLock = new();
    private readonly JournalWaiters _syncWaiters = new();
    private readonly Queue<(long From, long To, Exception Error)> _failures = new();
    private long _appended;
    private long _forgottenFailuresUpTo;
    private int _failureCount;
    private bool _syncRequested;
    private bool _closed;

    private readonly Lock _syncLock = new();
    private readonly List<JournalWaiter> _syncTaken = [];
    private long _synced;

    private JournalSegment _current;
    private long _totalBytes;
    private long _fsyncs;

    private WriteAheadJournal(JournalOptions options, TimeProvider time, FileStream lockFile, JournalReadResult recovered, Action<long> onSealed, Action onSpaceFreed, Action<Exception, int> onWriteFailed)
    {
        _options = options;
        _always = options.FsyncPolicy == FsyncPolicy.Always;
        _lockFile = lockFile;
        _onSealed = onSealed;
        _onSpaceFreed = onSpaceFreed;
        _onWriteFailed = onWriteFailed;
        _sealed = [.. recovered.Replayable];
        _totalBytes = _sealed.Sum(s => s.Bytes);
        _current = JournalSegment.Create(options.Directory, recovered.HighestSegment + 1, options.SegmentBytes);
        _totalBytes += _current.Used;
        if (options.FsyncPolicy == FsyncPolicy.EverySecond)
        {
            _syncTimer = time.CreateTimer(static state => ((WriteAheadJournal)state!).RequestSync(), this, options.FsyncInterval, options.FsyncInterval);
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>The journal's size: the sealed segments and what the current one holds.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>How many fsyncs the journal has done.</summary>
    public long Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>
    /// Whether an Accepted write is acknowledged once its record is in the journal (EverySecond, No), which
    /// <see cref="Append"/> has done by the time it returns. False for Always: the loop fsyncs first.
    /// </summary>
    public bool AcknowledgesOnWrite => !_always;

    /// <summary>Test hook: consulted before each record is appended; an exception returned is the I/O error.</summary>
    internal Func<Exception?>? FaultInjector { get; set; }

    /// <summary>The highest segment number that was sealed at start-up (0: none).</summary>
    public long RecoveredUpTo { get; private init; }

    /// <summary>Opens (and locks) the journal folder and reads what an earlier run left in it.</summary>
    public static WriteAheadJournal Open(JournalOptions options, TimeProvider time, Action<long> onSealed, Action onSpaceFreed, Action<Exception, int> onWriteFailed, out JournalReadResult recovered)
    {
        Directory.CreateDirectory(options.Directory);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(options.Directory, "journal.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error)
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' is in use by another cache or process. Give each cache its own JournalOptions.Directory.", error);
        }

        try
        {
            recovered = JournalReader.Read(options.Directory);
            long recoveredUpTo = recovered.Replayable.Count == 0 ? 0 : recovered.Replayable[^1].Number;
            return new WriteAheadJournal(options, time, lockFile, recovered, onSealed, onSpaceFreed, onWriteFailed) { RecoveredUpTo = recoveredUpTo };
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies a record into the current segment (in the OS's page cache when this returns); never waits for the
    /// disk. With a <paramref name="reply"/> the Ask is answered once the policy is met: at once for EverySecond
    /// and No, after the next group fsync for Always and <paramref name="requireFsync"/>. A record that cannot
    /// be appended (a new segment could not be created: disk full, permissions) fails the reply and is
    /// remembered, so that <see cref="EnsureWritten"/> fails too.
    /// </summary>
    /// <returns>Where the record ends, to pass to <see cref="EnsureWritten"/>; -1 when the journal is closed (the reply is failed).</returns>
    public long Append(WriteOperation operation, long version, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, TaskCompletionSource<WriteResult>? reply, bool requireFsync)
    {
        int length = JournalFormat.RecordLength(key.Length, value.Length);
        bool needsSync = _always || requireFsync;
        long position;
        long sealedNumber = 0;
        Exception? failure = null;
        lock (_appendLock)
        {
            if (_closed)
            {
                reply?.TrySetException(Closed());
                return -1;
            }

            try
            {
                if (FaultInjector?.Invoke() is { } fault)
                {
                    throw fault;
                }

                if (!_current.Fits(length))
                {
                    sealedNumber = Roll(length);
                }

                JournalFormat.WriteRecord(_current.Next(length), operation, version, key, value);
                _current.Advance(length);
                Interlocked.Add(ref _totalBytes, length);
            }
            catch (Exception error)
            {
                failure = error;
            }

            position = _appended += length;
            if (failure is not null)
            {
                RememberFailure(position - length, position, failure);
            }
            else if (needsSync)
            {
                if (reply is not null)
                {
                    _syncWaiters.Enqueue(new JournalWaiter(position, reply, version));
                }

                _syncRequested = true;
            }
        }

        if (failure is not null)
        {
            reply?.TrySetException(WriteError(version, failure));
            ReportFailure(failure, length);
        }
        else if (needsSync)
        {
            _kick.Writer.TryWrite(true);
        }
        else
        {
            reply?.TrySetResult(new WriteResult(version, WriteConsistency.Accepted));
        }

        if (sealedNumber > 0)
        {
            _onSealed(sealedNumber);
        }

        return position;
    }

    /// <summary>Why the record ending at <paramref name="position"/> is not in the journal (it could not be appended, or the journal is closed); null when it is.</summary>
    public Exception? ErrorAt(long position)
    {
        if (position < 0)
        {
            return Closed();
        }

        if (Volatile.Read(ref _failureCount) == 0)
        {
            return null;
        }

        lock (_appendLock)
        {
            foreach (var (from, to, error) in _failures)
            {
                if (position > from && position <= to)
                {
                    return error;
                }
            }

            // Too old to tell: never acknowledge a write that may not be in the journal.
            return position <= _forgottenFailuresUpTo
                ? new IOException("An earlier journal write failed and this record's fate is no longer known.")
                : null;
        }
    }

    /// <summary>Throws what kept the record ending at <paramref name="position"/>, of the write at <paramref name="version"/>, out of the journal.</summary>
    public void EnsureWritten(long position, long version)
    {
        if (ErrorAt(position) is { } error)
        {
            throw error is ObjectDisposedException ? error : WriteError(version, error);
        }
    }

    /// <summary>Deletes sealed segments up to and including <paramref name="number"/>: every write in them is committed.</summary>
    public void DeleteSealedUpTo(long number)
    {
        bool freed = false;
        lock (_segmentsLock)
        {
            while (_sealed.Count > 0 && _sealed[0].Number <= number)
            {
                var (segment, bytes) = _sealed[0];
                File.Delete(Path.Combine(_options.Directory, JournalFormat.SegmentName(segment)));
                _sealed.RemoveAt(0);
                Interlocked.Add(ref _totalBytes, -bytes);
                freed = true;
            }
        }

        if (freed)
        {
            _onSpaceFreed();
        }
    }

    /// <summary>Fsyncs and closes; with <paramref name="deleteAll"/> (everything committed) removes the segments.</summary>
    public async Task CloseAsync(bool deleteAll)
    {
        lock (_appendLock)
        {
            _closed = true;
        }

        _kick.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _syncTimer?.Dispose();
        Sync(force: true);
        lock (_appendLock)
        {
            lock (_syncLock)
            {
                // Truncated to what it holds, so the next start reads no preallocated tail.
                try
                {
                    _current.Seal();
                }
                finally
                {
                    _current.Dispose();
                }
            }
        }

        if (deleteAll)
        {
            DeleteSealedUpTo(long.MaxValue);
            File.Delete(_current.Path);
        }

        await _lockFile.DisposeAsync().ConfigureAwait(false);
    }

    private static ObjectDisposedException Closed() =>
        new(nameof(WriteAheadJournal), "The journal is closed: the cache is shutting down.");

    private JournalWriteException WriteError(long version, Exception error) => new(
        $"The write at version {version} was applied in memory but its journal record could not be written ({error.Message}), so it was not acknowledged. Check the free space and permissions of '{_options.Directory}'.",
        error);

    private void RequestSync()
    {
        lock (_appendLock)
        {
            _syncRequested = true;
        }

        _kick.Writer.TryWrite(true);
    }

    /// <summary>The loop: fsyncs for Always, Journaled writes and the EverySecond timer.</summary>
    private async Task RunAsync()
    {
        var reader = _kick.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            reader.TryRead(out _);
            bool sync;
            lock (_appendLock)
            {
                sync = _syncRequested;
                _syncRequested = false;
            }

            if (sync)
            {
                try
                {
                    Sync(force: false);
                }
                catch (Exception)
                {
                    // Fsync errors are handled inside (their Asks fail); nothing else may end the loop, or Asks
                    // waiting for an fsync would wait for ever: the next append or timer tick runs another pass.
                }
            }
        }
    }

    /// <summary>
    /// Fsyncs what is appended (unless it already is) and answers the Asks that waited for it: failed if their
    /// record could not be appended or this fsync failed.
    /// </summary>
    private void Sync(bool force)
    {
        long target;
        lock (_appendLock)
        {
            target = _appended;
        }

        Exception? error = null;
        long synced;
        lock (_syncLock)
        {
            if (force || target > _synced)
            {
                try
                {
                    // Every record up to the target was copied into this segment or an earlier one, which its
                    // roll fsynced before it was closed.
                    _current.Sync();
                    Interlocked.Increment(ref _fsyncs);
                }
                catch (Exception caught)
                {
                    error = caught;
                }

                _synced = Math.Max(_synced, target);
            }

            synced = _synced;
        }

        lock (_appendLock)
        {
            _syncWaiters.TakeUpTo(synced, _syncTaken);
        }

        foreach (var waiter in _syncTaken)
        {
            if ((waiter.Error ?? error) is { } failure)
            {
                waiter.Reply.TrySetException(WriteError(waiter.Version, failure));
            }
            else
            {
                waiter.Reply.TrySetResult(new WriteResult(waiter.Version, WriteConsistency.Journaled));
            }
        }

        _syncTaken.Clear();
        if (error is not null)
        {
            ReportFailure(error, 0);
        }
    }

    /// <summary>
    /// Seals the current segment and starts the next (under the append lock). The next segment is created first:
    /// when that fails (disk full) the current one stays in use and the roll is tried again at the next append.
    /// </summary>
    /// <returns>The number of the sealed segment.</returns>
    private long Roll(int length)
    {
        var next = JournalSegment.Create(
            _options.Directory,
            _current.Number + 1,
            Math.Max(_options.SegmentBytes, JournalFormat.SegmentHeaderBytes + length));
        var sealedSegment = _current;
        Exception? sealError = null;
        lock (_syncLock)
        {
            try
            {
                sealedSegment.Seal();
            }
            catch (Exception error)
            {
                // Its records are in the page cache but may not reach the disk: no Ask waiting for an fsync of
                // them may be answered as durable. The journal goes on in the new segment.
                sealError = error;
                _syncWaiters.MarkFailed(_synced, _appended, error);
            }
            finally
            {
                sealedSegment.Dispose();
            }

            lock (_segmentsLock)
            {
                _sealed.Add((sealedSegment.Number, sealedSegment.Used));
            }

            // Everything appended so far is on disk (or its waiters are marked failed): the next fsync answers them.
            _synced = _appended;
            _current = next;
            Interlocked.Add(ref _totalBytes, next.Used);
        }

        if (sealError is not null)
        {
            ReportFailure(sealError, 0);
        }

        return sealedSegment.Number;
    }

    /// <summary>Remembers that the records in (<paramref name="from"/>, <paramref name="to"/>] are not in the journal. Under the append lock.</summary>
    private void RememberFailure(long from, long to, Exception error)
    {
        _failures.Enqueue((from, to, error));
        if (_failures.Count > RememberedFailures)
        {
            _forgottenFailuresUpTo = _failures.Dequeue().To;
        }

        _syncWaiters.MarkFailed(from, to, error);
        Volatile.Write(ref _failureCount, _failureCount + 1);
    }

    private void ReportFailure(Exception error, int bytes)
    {
        try
        {
            _onWriteFailed(error, bytes);
        }
        catch (Exception)
        {
            // Logging must not take the journal down; the Asks were already failed.
        }
    }
}
