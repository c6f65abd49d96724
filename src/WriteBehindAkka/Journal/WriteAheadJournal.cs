using System.Buffers;
using System.Threading.Channels;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Journal;

/// <summary>
/// The local append-only journal. Shards encode their records straight into one shared buffer under a short
/// lock; the buffer goes to the current segment file in one write(2) by whoever needs it on disk first. With
/// <see cref="FsyncPolicy.EverySecond"/> and <see cref="FsyncPolicy.No"/> that is the caller that appended (or the
/// shard loop, after a burst of queued commands): its Ask is answered on its own thread once the write returns,
/// and one write carries every record appended meanwhile. With <see cref="FsyncPolicy.Always"/>, and for a
/// <see cref="WriteConsistency.Journaled"/> write, the journal's loop writes and fsyncs, with group commit: one
/// fsync covers every record appended while the previous one ran. Full segments are sealed; a sealed segment is
/// deleted once every write accepted before its end is committed (the cache runs a flush for that), which keeps
/// the journal about as large as the backlog.
/// </summary>
internal sealed class WriteAheadJournal
{
    /// <summary>Records waiting in the buffer beyond this size wake the loop to write them out.</summary>
    private const int KickBytes = 4 * 1024 * 1024;

    /// <summary>A buffer that grew beyond this is replaced after its write, so one burst does not hold memory for ever.</summary>
    private const int KeepBufferBytes = 8 * 1024 * 1024;

    private const int InitialBufferBytes = 256 * 1024;

    /// <summary>Failed write ranges remembered for callers that have not looked yet; older ones count as failed.</summary>
    private const int RememberedFailures = 64;

    private readonly JournalOptions _options;
    private readonly TimeProvider _time;
    private readonly bool _always;
    private readonly object _segmentsLock = new();

    /// <summary>Sealed segments, oldest first (number, bytes). Guarded by <see cref="_segmentsLock"/>.</summary>
    private readonly List<(long Number, long Bytes)> _sealed;
    private readonly FileStream _lockFile;
    private readonly ITimer? _syncTimer;
    private readonly Task _loop;

    /// <summary>Wakes the loop; one pending wake is enough, the loop takes everything appended when it runs.</summary>
    private readonly Channel<bool> _kick = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Called by the writer that sealed a segment, with its number: the cache flushes, then deletes up to it.</summary>
    private readonly Action<long> _onSealed;

    /// <summary>Called when deleting segments freed space (to wake writers waiting on the bound).</summary>
    private readonly Action _onSpaceFreed;

    /// <summary>Called when a write to the segment failed, with the error and the bytes lost (to log it).</summary>
    private readonly Action<Exception, int> _onWriteFailed;

    // Appending. Guards the filling buffer, the positions handed out, the waiters and the remembered failures.
    private readonly Lock _appendLock = new();
    private readonly JournalWaiters _writeWaiters = new();
    private readonly JournalWaiters _syncWaiters = new();
    private readonly Queue<(long From, long To, Exception Error)> _failures = new();
    private ArrayBufferWriter<byte> _filling = new(InitialBufferBytes);
    private long _appended;
    private long _forgottenFailuresUpTo;
    private int _failureCount;
    private bool _syncRequested;
    private bool _closed;

    // Writing: one writer at a time; guards the spare buffer, the current segment's size and the file writes.
    private readonly Lock _writeLock = new();
    private readonly List<JournalWaiter> _writeTaken = [];
    private ArrayBufferWriter<byte> _spare = new(InitialBufferBytes);
    private long _written;

    // Syncing: an fsync, and swapping the segment file (a roll takes it too, inside the write lock).
    private readonly Lock _syncLock = new();
    private readonly List<JournalWaiter> _syncTaken = [];
    private long _synced;

    private FileStream _current;
    private long _currentNumber;
    private long _currentBytes;
    private long _totalBytes;
    private long _fsyncs;

    private WriteAheadJournal(JournalOptions options, TimeProvider time, FileStream lockFile, JournalReadResult recovered, Action<long> onSealed, Action onSpaceFreed, Action<Exception, int> onWriteFailed)
    {
        _options = options;
        _time = time;
        _always = options.FsyncPolicy == FsyncPolicy.Always;
        _lockFile = lockFile;
        _onSealed = onSealed;
        _onSpaceFreed = onSpaceFreed;
        _onWriteFailed = onWriteFailed;
        _sealed = [.. recovered.Replayable];
        _totalBytes = _sealed.Sum(s => s.Bytes);
        UseSegment(OpenSegment(recovered.HighestSegment + 1), recovered.HighestSegment + 1);
        if (options.FsyncPolicy == FsyncPolicy.EverySecond)
        {
            _syncTimer = time.CreateTimer(static state => ((WriteAheadJournal)state!).RequestSync(), this, options.FsyncInterval, options.FsyncInterval);
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>The journal's size on disk.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>How many fsyncs the journal has done.</summary>
    public long Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>
    /// Whether an Accepted write is acknowledged once its record is written (EverySecond, No): the caller that
    /// appended then writes it out itself (<see cref="EnsureWritten"/>). False for Always: the loop fsyncs first.
    /// </summary>
    public bool AcknowledgesOnWrite => !_always;

    /// <summary>Test hook: consulted before each write to disk; an exception returned is thrown as the I/O error.</summary>
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

        recovered = JournalReader.Read(options.Directory);
        long recoveredUpTo = recovered.Replayable.Count == 0 ? 0 : recovered.Replayable[^1].Number;
        return new WriteAheadJournal(options, time, lockFile, recovered, onSealed, onSpaceFreed, onWriteFailed) { RecoveredUpTo = recoveredUpTo };
    }

    /// <summary>
    /// Encodes a record into the journal's buffer; never blocks on the disk. With a <paramref name="reply"/> the
    /// Ask is answered once the policy is met (written, or fsynced for Always and <paramref name="requireFsync"/>).
    /// Without one, the caller makes the record durable enough itself (<see cref="EnsureWritten"/>) or, for
    /// Always, the loop does.
    /// </summary>
    /// <returns>Where the record ends (positive), to pass to <see cref="EnsureWritten"/>; -1 when the journal is closed (the reply is failed).</returns>
    public long Append(WriteOperation operation, long version, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, TaskCompletionSource<WriteResult>? reply, bool requireFsync)
    {
        int length = JournalFormat.RecordLength(key.Length, value.Length);
        bool needsSync = _always || requireFsync;
        bool kick;
        long position;
        lock (_appendLock)
        {
            if (_closed)
            {
                reply?.TrySetException(Closed());
                return -1;
            }

            JournalFormat.WriteRecord(_filling.GetSpan(length)[..length], operation, version, key, value);
            _filling.Advance(length);
            position = _appended += length;
            if (reply is not null)
            {
                (needsSync ? _syncWaiters : _writeWaiters).Enqueue(new JournalWaiter(position, reply, version));
            }

            _syncRequested |= needsSync;
            kick = needsSync || _filling.WrittenCount >= KickBytes;
        }

        if (kick)
        {
            _kick.Writer.TryWrite(true);
        }

        return position;
    }

    /// <summary>
    /// Makes sure every record up to <paramref name="position"/> was handed to the operating system, writing the
    /// buffer out on this thread when nobody has yet (one write covers everything appended meanwhile).
    /// </summary>
    /// <returns>Null when the record is written; else why it is not (its write failed, or the journal is closed).</returns>
    public Exception? WriteUpTo(long position)
    {
        if (position < 0)
        {
            return Closed();
        }

        if (Volatile.Read(ref _written) < position)
        {
            lock (_writeLock)
            {
                if (_written < position)
                {
                    WriteOutLocked();
                }
            }
        }

        return FailureAt(position);
    }

    /// <summary>As <see cref="WriteUpTo"/>, throwing what kept the record of the write at <paramref name="version"/> from disk.</summary>
    public void EnsureWritten(long position, long version)
    {
        if (WriteUpTo(position) is { } error)
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

    /// <summary>Writes what is queued, fsyncs, closes; with <paramref name="deleteAll"/> (everything committed) removes the segments.</summary>
    public async Task CloseAsync(bool deleteAll)
    {
        lock (_appendLock)
        {
            _closed = true;
        }

        _kick.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _syncTimer?.Dispose();
        lock (_writeLock)
        {
            WriteOutLocked();
            lock (_syncLock)
            {
                try
                {
                    SyncLocked(force: true);
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
            File.Delete(Path.Combine(_options.Directory, JournalFormat.SegmentName(_currentNumber)));
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

    /// <summary>The loop: writes out and fsyncs for Always, Journaled writes and the EverySecond timer.</summary>
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

            try
            {
                lock (_writeLock)
                {
                    WriteOutLocked();
                }

                if (sync)
                {
                    lock (_syncLock)
                    {
                        SyncLocked(force: false);
                    }
                }
            }
            catch (Exception)
            {
                // Write and fsync errors are handled inside (their Asks fail); nothing else may end the loop, or
                // Asks waiting for an fsync would wait for ever: the next append or timer tick runs another pass.
            }
        }
    }

    /// <summary>
    /// Writes everything appended so far to the segment (the caller holds the write lock) and answers the Asks
    /// that waited only for that. A failed write fails those Asks and marks the ones waiting for an fsync.
    /// </summary>
    private void WriteOutLocked()
    {
        ArrayBufferWriter<byte> batch;
        long from, to;
        lock (_appendLock)
        {
            batch = _filling;
            _filling = _spare;
            from = _written;
            to = _appended;
        }

        Exception? error = null;
        int length = batch.WrittenCount;
        if (length > 0)
        {
            try
            {
                if (FaultInjector?.Invoke() is { } fault)
                {
                    throw fault;
                }

                if (_currentBytes > JournalFormat.SegmentHeaderBytes && _currentBytes + length > _options.SegmentBytes)
                {
                    Roll();
                }

                _current.Write(batch.WrittenSpan);
                _currentBytes += length;
                Interlocked.Add(ref _totalBytes, length);
            }
            catch (Exception caught)
            {
                error = caught;
            }
        }

        _spare = batch.Capacity > KeepBufferBytes ? new ArrayBufferWriter<byte>(InitialBufferBytes) : batch;
        _spare.ResetWrittenCount();
        lock (_appendLock)
        {
            if (error is not null)
            {
                RememberFailure(from, to, error);
                _syncWaiters.MarkFailed(from, to, error);
            }

            _writeWaiters.TakeUpTo(to, _writeTaken);
        }

        Volatile.Write(ref _written, to);
        Answer(_writeTaken, error, WriteConsistency.Accepted);
        if (error is not null)
        {
            try
            {
                _onWriteFailed(error, length);
            }
            catch (Exception)
            {
                // Logging must not take the writer down; the Asks were already failed.
            }
        }
    }

    /// <summary>
    /// Fsyncs what is written (the caller holds the sync lock) unless it already is, and answers the Asks that
    /// waited for it: failed if their write or this fsync failed.
    /// </summary>
    private void SyncLocked(bool force)
    {
        long target = Volatile.Read(ref _written);
        Exception? error = null;
        if (force || target > _synced)
        {
            try
            {
                _current.Flush(flushToDisk: true);
                Interlocked.Increment(ref _fsyncs);
            }
            catch (Exception caught)
            {
                error = caught;
            }

            _synced = Math.Max(_synced, target);
        }

        lock (_appendLock)
        {
            _syncWaiters.TakeUpTo(_synced, _syncTaken);
        }

        Answer(_syncTaken, error, WriteConsistency.Journaled);
    }

    private void Answer(List<JournalWaiter> waiters, Exception? error, WriteConsistency reached)
    {
        foreach (var waiter in waiters)
        {
            if ((waiter.Error ?? error) is { } failure)
            {
                waiter.Reply.TrySetException(WriteError(waiter.Version, failure));
            }
            else
            {
                waiter.Reply.TrySetResult(new WriteResult(waiter.Version, reached));
            }
        }

        waiters.Clear();
    }

    /// <summary>Remembers that the records in (<paramref name="from"/>, <paramref name="to"/>] were not written. Under the append lock.</summary>
    private void RememberFailure(long from, long to, Exception error)
    {
        _failures.Enqueue((from, to, error));
        if (_failures.Count > RememberedFailures)
        {
            _forgottenFailuresUpTo = _failures.Dequeue().To;
        }

        Volatile.Write(ref _failureCount, _failureCount + 1);
    }

    /// <summary>Why the record ending at <paramref name="position"/> was not written; null when it was.</summary>
    private Exception? FailureAt(long position)
    {
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

            // Too old to tell: never acknowledge a write that may not be on disk.
            return position <= _forgottenFailuresUpTo
                ? new IOException("An earlier journal write failed and this record's fate is no longer known.")
                : null;
        }
    }

    /// <summary>
    /// Seals the current segment (fsynced) and starts the next. The next segment is created first: when that
    /// fails (disk full) the current one stays in use and the roll is tried again at the next write.
    /// </summary>
    private void Roll()
    {
        long sealedNumber = _currentNumber;
        var next = OpenSegment(sealedNumber + 1);
        lock (_syncLock)
        {
            try
            {
                _current.Flush(flushToDisk: true);
            }
            catch
            {
                DiscardSegment(next, sealedNumber + 1);
                throw;
            }

            _current.Dispose();
            lock (_segmentsLock)
            {
                _sealed.Add((sealedNumber, _currentBytes));
            }

            // Everything written so far is on disk: the next fsync answers the Asks that waited for it.
            _synced = Volatile.Read(ref _written);
            UseSegment(next, sealedNumber + 1);
        }

        _onSealed(sealedNumber);
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_current))]
    private void UseSegment(FileStream stream, long number)
    {
        _current = stream;
        _currentNumber = number;
        _currentBytes = JournalFormat.SegmentHeaderBytes;
        Interlocked.Add(ref _totalBytes, JournalFormat.SegmentHeaderBytes);
    }

    /// <summary>Creates a segment with its header, fsynced with its folder entry; a failure leaves no file behind.</summary>
    private FileStream OpenSegment(long number)
    {
        var stream = new FileStream(Path.Combine(_options.Directory, JournalFormat.SegmentName(number)), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        try
        {
            stream.Write(JournalFormat.SegmentHeader(number));
            stream.Flush(flushToDisk: true);
            DirectorySync.Sync(_options.Directory);
            return stream;
        }
        catch
        {
            DiscardSegment(stream, number);
            throw;
        }
    }

    private void DiscardSegment(FileStream stream, long number)
    {
        stream.Dispose();
        try
        {
            File.Delete(Path.Combine(_options.Directory, JournalFormat.SegmentName(number)));
        }
        catch (IOException)
        {
            // The next attempt fails to create it and says so.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
