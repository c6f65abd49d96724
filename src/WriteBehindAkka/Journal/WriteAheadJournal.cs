using System.Diagnostics;
using WriteBehindAkka.Diagnostics;
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
/// Segment lifecycle: the loop creates the next segment ahead of time (the spare); an appender that fills the
/// current segment swaps the spare in under the append lock and queues the full one; the loop seals it (fsync,
/// unmap, truncate) off the lock, and fsyncs. So no appender waits for the disk, except when a record arrives
/// before the spare is ready (it then creates one itself). Locks: <c>_appendLock</c> guards the current
/// segment, its contents, the positions, the waiters and the queue of segments to seal; <c>_spareLock</c> guards
/// the spare and segment numbers, and is taken inside the append lock, never around it. Fsyncs, seals and
/// disposal of old segments happen only on the loop (and at close, after it), one at a time.
/// </remarks>
internal sealed class WriteAheadJournal
{
    /// <summary>Failed record ranges remembered for callers that have not looked yet; older ones count as failed.</summary>
    private const int RememberedFailures = 64;

    private readonly JournalOptions _options;
    private readonly TimeProvider _time;

    /// <summary>The cache's metric tags.</summary>
    private readonly TagList _tags;
    private readonly bool _always;
    private readonly object _segmentsLock = new();

    /// <summary>
    /// Sealed segments, oldest first (number, bytes, and a version at least as high as any of their records: the
    /// mark must cover it before they are deleted, and the file: a replayed one may be named another spelling of its
    /// number, such as one without the zero padding). Guarded by <see cref="_segmentsLock"/>.
    /// </summary>
    private readonly List<(long Number, long Bytes, long HighestVersion, string Path)> _sealed;
    private readonly FileStream _lockFile;
    private readonly ITimer? _syncTimer;
    private readonly TaskCompletionSource _loopEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Wakes the loop; one pending wake is enough, the loop takes everything appended when it runs. The loop resets
    /// it before it looks at what there is to do, so a wake set after that look is never lost. Never disposed: it
    /// holds no handle unless one is asked for, and a late timer tick may still set it.
    /// </summary>
    private readonly ManualResetEventSlim _wake = new(initialState: true, spinCount: 1);

    /// <summary>Called on the loop when it has sealed a segment, with its number: the cache flushes, then deletes up to it.</summary>
    private readonly Action<long> _onSealed;

    /// <summary>Called when deleting segments freed space (to wake writers waiting on the bound).</summary>
    private readonly Action _onSpaceFreed;

    /// <summary>Called when a record could not be appended, with the error and its size (to log it).</summary>
    private readonly Action<Exception, int> _onWriteFailed;

    private readonly Lock _appendLock = new();
    private readonly JournalWaiters _syncWaiters = new();
    private readonly Queue<(long From, long To, Exception Error)> _failures = new();
    private long _appended;

    /// <summary>Records appended so far (under the append lock), and how many of those an fsync (group or seal) has covered (loop only).</summary>
    private long _appendedRecords;

    /// <summary>The highest version appended (or read at open). Guarded by the append lock.</summary>
    private long _highestVersion;

    /// <summary>The last failed write, for health (see <see cref="LastFailure"/>).</summary>
    private Failure? _lastFailure;

    /// <summary>Serializes the writes of <see cref="HighestVersionFile"/> (the loop's, a truncation's, the close's) and guards <see cref="_markedVersion"/>.</summary>
    private readonly Lock _markLock = new();

    /// <summary>The version <see cref="HighestVersionFile"/> durably holds (read at open, or written since).</summary>
    private long _markedVersion;
    private long _syncedRecords;
    private long _forgottenFailuresUpTo;
    private int _failureCount;
    private int _untrustedSegments;
    private bool _syncRequested;
    private bool _closed;

    private readonly List<JournalWaiter> _syncTaken = [];
    private readonly Queue<(JournalSegment Segment, long End, long Records)> _toSeal = new();
    private readonly List<(JournalSegment Segment, long End, long Records)> _sealing = [];

    /// <summary>Everything up to here is fsynced. Only the loop (and close, after it) touches it.</summary>
    private long _synced;

    private readonly Lock _spareLock = new();
    private JournalSegment? _spare;
    private long _nextNumber;

    /// <summary>
    /// The segment records go to. Null only from an open that could not create it (disk full, say) until the first
    /// roll succeeds: the replay must still run, since committing what it holds is what frees the disk.
    /// </summary>
    private JournalSegment? _current;
    private long _totalBytes;
    private long _fsyncs;

    private WriteAheadJournal(JournalOptions options, TimeProvider time, TagList tags, FileStream lockFile, JournalReadResult recovered, Action<long> onSealed, Action onSpaceFreed, Action<Exception, int> onWriteFailed)
    {
        _options = options;
        _time = time;
        _tags = tags;
        _always = options.FsyncPolicy == FsyncPolicy.Always;
        _lockFile = lockFile;
        _onSealed = onSealed;
        _onSpaceFreed = onSpaceFreed;
        _onWriteFailed = onWriteFailed;
        long marked = ReadHighestVersion(options.Directory);
        _markedVersion = marked;
        _highestVersion = Math.Max(marked, recovered.Records.Count == 0 ? 0 : recovered.Records.Max(r => r.Version));
        HighestVersionAtOpen = _highestVersion;
        if (_highestVersion > marked && WriteHighestVersion() is not null)
        {
            // Records replayed now go once committed: their versions must outlive them (a crash loop, then a clock
            // step). Without the mark their segments stay (DeleteSealedUpTo writes it first, or keeps them).
            CountError("mark");
        }

        // Each replayed segment goes once the mark covers its own records (a damaged one: every version known). On a
        // full disk the mark may not be writable: the segments it already covers (sealed before the crash) can still
        // go once their writes are committed, which frees the space it needs.
        _sealed = [.. recovered.Replayable.Select(s => (s.Number, s.Bytes, Math.Min(s.HighestVersion, _highestVersion), s.Path))];
        _totalBytes = _sealed.Sum(s => s.Bytes);
        _nextNumber = recovered.HighestSegment + 1;
        Exception? noSegment = null;
        try
        {
            _current = JournalSegment.Create(options.Directory, _nextNumber++, options.SegmentBytes);
            _totalBytes += _current.Used;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A full disk after a crash: failing the start would keep the replayed writes, and the space their
            // segments hold, for ever. The cache starts; writes are refused (JournalWriteException, health Degraded)
            // until a roll can create a segment, which the replay's truncation makes room for.
            noSegment = error;
        }

        if (options.FsyncPolicy == FsyncPolicy.EverySecond)
        {
            _syncTimer = time.CreateTimer(static state => ((WriteAheadJournal)state!).RequestSync(), this, options.FsyncInterval, options.FsyncInterval);
        }

        // A thread of its own: it blocks in fsync, which must not hold a thread-pool thread (nor the work queued
        // on it: the Asks it answers resume on the pool at once).
        new Thread(Run) { IsBackground = true, Name = "WriteBehindAkka journal" }.Start(); // the wake starts set: the first pass creates the spare segment
        if (noSegment is not null)
        {
            ReportFailure(noSegment, "segment", 0);
        }
    }

    /// <summary>The journal's size: the sealed segments and what the current one holds.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>How many fsyncs the journal has done.</summary>
    public long Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>Gets how many records were appended since the journal opened (tests).</summary>
    internal long AppendedRecords
    {
        get
        {
            lock (_appendLock)
            {
                return _appendedRecords;
            }
        }
    }

    /// <summary>
    /// Whether an Accepted write is acknowledged once its record is in the journal (EverySecond, No), which
    /// <c>Append</c> has done by the time it returns. False for Always: the loop fsyncs first.
    /// </summary>
    public bool AcknowledgesOnWrite => !_always;

    /// <summary>Test hook: consulted before each record is appended; an exception returned is the I/O error.</summary>
    internal Func<Exception?>? FaultInjector { get; set; }

    /// <summary>Test hook: consulted before each fsync of the loop; an exception returned is the fsync's error.</summary>
    internal Func<Exception?>? SyncFaultInjector { get; set; }

    /// <summary>The file that keeps the highest version the journal has seen, across segments deleted and clean stops.</summary>
    internal const string HighestVersionFile = "highest-version";

    /// <summary>
    /// The highest version an earlier run wrote (its records, or the mark it left at a seal or a stop; 0: none).
    /// Each shard's clock starts above it, so a write after a restart on a clock that stepped back still gets a
    /// newer version than the rows that run stored, and the store's version guard does not drop it.
    /// </summary>
    public long HighestVersionAtOpen { get; }

    /// <summary>The highest segment number that was sealed at start-up (0: none).</summary>
    public long RecoveredUpTo { get; private init; }

    /// <summary>
    /// Whether <paramref name="error"/> says another process holds the file locked: on Windows ERROR_SHARING_VIOLATION;
    /// elsewhere .NET puts the errno of the refused lock in the HResult (EWOULDBLOCK: 11 on Linux, 35 on macOS).
    /// </summary>
    private static bool IsLockedByAnother(IOException error) =>
        OperatingSystem.IsWindows() ? error.HResult == unchecked((int)0x80070020) : error.HResult is 11 or 35;

    /// <summary>Opens (and locks) the journal folder and reads what an earlier run left in it; <paramref name="tags"/> go on its metrics.</summary>
    public static WriteAheadJournal Open(JournalOptions options, TimeProvider time, TagList tags, Action<long> onSealed, Action onSpaceFreed, Action<Exception, int> onWriteFailed, out JournalReadResult recovered)
    {
        try
        {
            Directory.CreateDirectory(options.Directory);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Bare, the error names a path ("Could not find file '/proc/x'") and not what it was for.
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' could not be created: {error.Message} Set JournalOptions.Directory to a folder on a local, writable file system that this process may write to.", error);
        }

        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(options.Directory, "journal.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException error)
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' is not writable by this process: {error.Message} Give the process write access to it, or set JournalOptions.Directory to another folder.", error);
        }
        catch (IOException error) when (IsLockedByAnother(error))
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' is in use by another cache or process. Give each cache its own JournalOptions.Directory.", error);
        }
        catch (IOException error)
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' could not be locked: {error.Message} Set JournalOptions.Directory to a folder on a local, writable file system.", error);
        }

        try
        {
            recovered = JournalReader.Read(options.Directory);
            foreach (string spare in recovered.Unused)
            {
                try
                {
                    File.Delete(spare);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // It holds nothing, and the next start tries again. A folder where files cannot be deleted (or
                    // created: its permissions changed, say) must not keep the replay from running, as a full disk does
                    // not: the start goes on, and its first segment's creation fails and is reported (health Degraded).
                }
            }

            foreach (var (_, used, _, path) in recovered.Replayable)
            {
                TrimZeroTail(path, used);
            }

            long recoveredUpTo = recovered.Replayable.Count == 0 ? 0 : recovered.Replayable[^1].Number;
            return new WriteAheadJournal(options, time, tags, lockFile, recovered, onSealed, onSpaceFreed, onWriteFailed) { RecoveredUpTo = recoveredUpTo };
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Truncates a replayed segment to its records, as a seal would have: one that was current when the process stopped
    /// keeps its preallocated size, zeros after its records, until its writes are committed and it is deleted. The
    /// journal counts its records only (MaxJournalBytes), so without this a crash loop while the store is down would
    /// leave a whole segment on disk per crash, uncounted. A file error leaves it as it is (read again at the next start).
    /// </summary>
    private static void TrimZeroTail(string path, long used)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            if (file.Length > used)
            {
                file.SetLength(used);
                DirectorySync.SyncFile(file);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Its zeros are not records: it is read the same at the next start.
        }
    }

    /// <summary>
    /// Copies a record into the current segment (in the OS's page cache when this returns); never waits for the
    /// disk. With a <paramref name="reply"/> the Ask is answered once the policy is met: at once for EverySecond
    /// and No, after the next group fsync for Always and <paramref name="requireFsync"/>. A record that cannot
    /// be appended (a new segment could not be created: disk full, permissions) fails the reply and is
    /// remembered, so that <see cref="EnsureWritten"/> fails too. <paramref name="segmentNumber"/> is the segment
    /// the record went into (0 when it was not appended).
    /// </summary>
    /// <returns>Where the record ends, to pass to <see cref="EnsureWritten"/>; -1 when the journal is closed (the reply is failed).</returns>
    public long Append(WriteOperation operation, long version, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, TaskCompletionSource<WriteResult>? reply, bool requireFsync, out long segmentNumber)
    {
        segmentNumber = 0;
        int length = JournalFormat.RecordLength(key.Length, value.Length);
        bool needsSync = _always || requireFsync;
        long position;
        Exception? failure = null;
        bool rolled = false;
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

                if (length - JournalFormat.RecordHeaderBytes > JournalFormat.MaxPayloadBytes)
                {
                    // Recovery would take it for damage: never acknowledge a record that cannot be read back.
                    throw new IOException($"The record ({length} bytes: a key of {key.Length} bytes and a value of {value.Length}) is larger than a journal record can be ({JournalFormat.MaxPayloadBytes} bytes).");
                }

                if (_current is null || !_current.Fits(length) || _current.Tainted is not null)
                {
                    Roll(length);
                    rolled = true;
                }

                Debug.Assert(_current is not null, "a roll that returns made a segment current");
                JournalFormat.WriteRecord(_current.Next(length), operation, version, key, value);
                _current.Advance(length);
                _highestVersion = Math.Max(_highestVersion, version);
                _appendedRecords++;
                segmentNumber = _current.Number;
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
            ReportFailure(failure, "append", length);
        }
        else if (!needsSync)
        {
            reply?.TrySetResult(new WriteResult(version, WriteConsistency.Accepted));
        }

        if (needsSync || rolled)
        {
            Wake();
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

    /// <summary>
    /// How many times a segment was found untrustworthy (its fsync or its seal failed): a bulk write that read
    /// the same count before its first record and after its fsync had none of its records in such a segment.
    /// </summary>
    public int UntrustedSegments => Volatile.Read(ref _untrustedSegments);

    /// <summary>
    /// Completes once every record appended so far (so every record ending at or before
    /// <paramref name="position"/>) is fsynced, and asks the loop for that fsync: one wait for many records
    /// appended without an Ask of their own (a bulk write). It says nothing about records whose fsync or segment
    /// failed: compare <see cref="UntrustedSegments"/> before and after.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The journal is closed (also as the task's fault).</exception>
    public Task WhenSyncedAsync(long position)
    {
        var reply = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_appendLock)
        {
            if (_closed)
            {
                return Task.FromException(Closed());
            }

            // In position order with the Asks' waiters: everything appended so far, which covers the position.
            _syncWaiters.Enqueue(new JournalWaiter(Math.Max(position, _appended), reply, 0));
            _syncRequested = true;
        }

        Wake();
        return reply.Task;
    }

    /// <summary>Throws what kept the record ending at <paramref name="position"/>, of the write at <paramref name="version"/>, out of the journal.</summary>
    public void EnsureWritten(long position, long version)
    {
        if (ErrorAt(position) is { } error)
        {
            throw error is ObjectDisposedException ? error : WriteError(version, error);
        }
    }

    /// <summary>
    /// Deletes sealed segments up to and including <paramref name="number"/>: every write in them is committed.
    /// Only once <see cref="HighestVersionFile"/> durably covers their versions (written now if it does not): the
    /// segments are otherwise the only record of them, and a restart on a clock that stepped back would give new
    /// writes versions below rows already stored, which the store's version guard drops.
    /// </summary>
    /// <exception cref="IOException">The mark could not be written: the segments it does not cover are kept (a later truncation tries again); those it covers were deleted.</exception>
    public void DeleteSealedUpTo(long number)
    {
        long highest = 0;
        lock (_segmentsLock)
        {
            foreach (var (segment, _, version, _) in _sealed)
            {
                if (segment > number)
                {
                    break;
                }

                highest = Math.Max(highest, version);
            }
        }

        IOException? unmarked = null;
        long marked;
        try
        {
            marked = EnsureMarked(highest);
        }
        catch (IOException error)
        {
            // The segments the mark already covers still go (on a full disk, deleting them is what frees the room to
            // write the mark); the others are kept, and the error reported once these are deleted.
            unmarked = error;
            lock (_markLock)
            {
                marked = _markedVersion;
            }
        }

        bool freed = false;
        try
        {
            lock (_segmentsLock)
            {
                while (_sealed.Count > 0 && _sealed[0].Number <= number && _sealed[0].HighestVersion <= marked)
                {
                    var (_, bytes, _, path) = _sealed[0];
                    File.Delete(path);
                    _sealed.RemoveAt(0);
                    Interlocked.Add(ref _totalBytes, -bytes);
                    freed = true;
                }
            }
        }
        finally
        {
            // Also when a later delete failed: the segments deleted before it freed room that writers may wait for.
            if (freed)
            {
                if (TotalBytes >= _options.MaxJournalBytes)
                {
                    // Still over the bound: the loop looks whether the current segment is what keeps it there (RollAtBound).
                    Wake();
                }

                _onSpaceFreed();
            }
        }

        if (unmarked is not null)
        {
            throw unmarked;
        }
    }

    /// <summary>Fsyncs and closes; with <paramref name="deleteAll"/> (everything committed) removes the segments.</summary>
    public async Task CloseAsync(bool deleteAll)
    {
        lock (_appendLock)
        {
            _closed = true;
        }

        _wake.Set();
        await _loopEnded.Task.ConfigureAwait(false);
        _syncTimer?.Dispose();

        // The loop has ended: nothing else touches the segments now. A file error from here on is reported and
        // the close goes on: the lock file is always released (a new cache on this folder must be able to open it),
        // and whatever could not be sealed or deleted is read, or found empty, at the next start.
        try
        {
            Pass(sync: true);
            if (_current is { } current)
            {
                CloseQuietly("seal", () => current.Seal()); // truncated to what it holds: the next start reads no preallocated tail
                CloseQuietly("segment", current.Dispose);
            }

            if (_spare is { } spare)
            {
                CloseQuietly("segment", () =>
                {
                    spare.Dispose();
                    File.Delete(spare.Path);
                });
            }

            var unmarked = WriteHighestVersion();
            if (unmarked is not null && deleteAll)
            {
                // The segments are the only record of the versions handed out: they stay (logged), and the next
                // start reads its clocks' floor from them.
                ReportFailure(Unmarked(unmarked), "mark", 0);
            }
            else if (unmarked is not null)
            {
                // The segments stay anyway; their records still count at the next start.
                CountError("mark");
            }
            else if (deleteAll)
            {
                CloseQuietly("segment", () =>
                {
                    DeleteSealedUpTo(long.MaxValue);
                    if (_current is { } current)
                    {
                        File.Delete(current.Path);
                    }
                });
            }
        }
        finally
        {
            await _lockFile.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes a journal whose cache failed to start (its recovery threw) before anything was appended: stops the
    /// loop, deletes the segments this start created (they hold nothing) and releases the lock file, so that a cache
    /// built again in this process can open the folder. The segments that were read stay as they were.
    /// </summary>
    public void Abandon()
    {
        lock (_appendLock)
        {
            Debug.Assert(_appendedRecords == 0, "abandoned before any append: the shards never ran");
            _closed = true;
        }

        _wake.Set();
        try
        {
            // The loop ends at its next look, after the pass it may be running (it creates the spare at most).
            _loopEnded.Task.GetAwaiter().GetResult();
            _syncTimer?.Dispose();
            foreach (var segment in new[] { _current, _spare })
            {
                if (segment is not null)
                {
                    CloseQuietly("segment", () =>
                    {
                        segment.Dispose();
                        File.Delete(segment.Path);
                    });
                }
            }
        }
        finally
        {
            _lockFile.Dispose();
        }
    }

    /// <summary>Runs one step of the close; a file error is counted and logged instead of ending the close.</summary>
    private void CloseQuietly(string operation, Action step)
    {
        try
        {
            step();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            ReportFailure(error, operation, 0);
        }
    }

    private static ObjectDisposedException Closed() =>
        new(nameof(WriteAheadJournal), "The journal is closed: the cache is shutting down.");

    /// <summary>The error of a write whose record could not be appended (<paramref name="applied"/> false: the write was refused) or fsynced.</summary>
    private JournalWriteException WriteError(long version, Exception error, bool applied = false) => new(
        applied && version == 0
            ? $"The writes were applied in memory but their journal records could not be made durable ({error.Message}), so they were not acknowledged; they may still reach the store. Check the disk of '{_options.Directory}'."
            : applied
            ? $"The write at version {version} was applied in memory but its journal record could not be made durable ({error.Message}), so it was not acknowledged; it may still reach the store. Check the disk of '{_options.Directory}'."
            : $"The write at version {version} was not applied: its journal record could not be written ({error.Message}), so it was refused. Check the free space and permissions of '{_options.Directory}'.",
        error);

    private void RequestSync()
    {
        lock (_appendLock)
        {
            _syncRequested = true;
        }

        Wake();
    }

    /// <summary>Wakes the loop unless a wake is already pending (then nothing is called: cheap under load).</summary>
    private void Wake()
    {
        if (!_wake.IsSet)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// The loop: seals full segments (and, over the bound, the current one: <see cref="RollAtBound"/>), fsyncs for
    /// Always, Journaled writes and the EverySecond timer, and keeps a spare segment ready.
    /// </summary>
    private void Run()
    {
        try
        {
            while (true)
            {
                _wake.Wait();
                _wake.Reset();
                try
                {
                    bool sync;
                    lock (_appendLock)
                    {
                        if (_closed)
                        {
                            // Close runs the last pass once the loop has ended.
                            return;
                        }

                        sync = _syncRequested;
                        _syncRequested = false;
                    }

                    RollAtBound();
                    Pass(sync);
                    PrepareSpare();
                }
                catch (Exception)
                {
                    // Errors are handled inside (their Asks fail, they are logged); nothing else may end the loop, or
                    // Asks waiting for an fsync would wait for ever: the next append or timer tick runs another pass.
                }
            }
        }
        finally
        {
            _loopEnded.TrySetResult();
        }
    }

    /// <summary>
    /// Seals the segments that filled up, fsyncs the current one when <paramref name="sync"/>, and answers the
    /// Asks that waited for it: failed if their record could not be appended or its fsync failed. Runs only on
    /// the loop, or at close after the loop ended.
    /// </summary>
    private void Pass(bool sync)
    {
        long target, targetRecords;
        JournalSegment? segment;
        lock (_appendLock)
        {
            target = _appended;
            targetRecords = _appendedRecords;
            segment = _current;
            while (_toSeal.TryDequeue(out var full))
            {
                _sealing.Add(full);
            }
        }

        // Every segment before the current one is in the list or was sealed by an earlier pass.
        foreach (var (full, end, records) in _sealing)
        {
            Seal(full, end, records);
        }

        _sealing.Clear();
        Exception? error = null;
        double? syncSeconds = null;
        if (sync && target > _synced && segment is not null) // no segment yet: every append failed, none waits
        {
            try
            {
                // The segment may have been swapped out meanwhile: it is disposed only by a later pass.
                if ((SyncFaultInjector?.Invoke() ?? segment.Tainted) is { } fault)
                {
                    throw fault;
                }

                long started = _time.GetTimestamp();
                segment.Sync();
                syncSeconds = _time.GetElapsedTime(started).TotalSeconds;
                Interlocked.Increment(ref _fsyncs);
            }
            catch (Exception caught)
            {
                error = caught;
                lock (_appendLock)
                {
                    // Nothing in it is answered as durable again: the next append rolls to a new segment; the
                    // waiters already past the target are failed now if it is still current, else at its seal.
                    segment.Tainted ??= caught;
                    Interlocked.Increment(ref _untrustedSegments);
                    if (ReferenceEquals(segment, _current))
                    {
                        _syncWaiters.MarkFailed(target, long.MaxValue, caught);
                    }
                }
            }

            if (syncSeconds is { } seconds)
            {
                // Outside the fsync's error handling, and safe: a listener that throws cannot fail a durable fsync.
                WriteBehindMetrics.JournalSyncDuration.RecordSafely(seconds, _tags);
                WriteBehindMetrics.JournalSyncRecords.RecordSafely((int)Math.Min(int.MaxValue, targetRecords - _syncedRecords), _tags);
            }

            _synced = target;
            _syncedRecords = Math.Max(_syncedRecords, targetRecords);
        }

        lock (_appendLock)
        {
            _syncWaiters.TakeUpTo(_synced, _syncTaken);
        }

        foreach (var waiter in _syncTaken)
        {
            if ((waiter.Error ?? error) is { } failure)
            {
                // Its record was appended (a failed append makes no waiter), so its write was applied: the fsync failed.
                waiter.Reply.TrySetException(WriteError(waiter.Version, failure, applied: true));
            }
            else
            {
                waiter.Reply.TrySetResult(new WriteResult(waiter.Version, WriteConsistency.Journaled));
            }
        }

        _syncTaken.Clear();
        if (error is not null)
        {
            ReportFailure(error, "sync", 0);
        }
    }

    /// <summary>
    /// Seals a full segment whose records end at <paramref name="end"/> (byte position) and number
    /// <paramref name="records"/> in all since the journal opened: fsynced, unmapped, truncated.
    /// </summary>
    private void Seal(JournalSegment segment, long end, long records)
    {
        try
        {
            segment.Seal();
            if (segment.Tainted is { } earlier)
            {
                throw new IOException($"An earlier fsync of journal segment {segment.Number} failed ({earlier.Message}); its records cannot be trusted to be on disk.", earlier);
            }
        }
        catch (Exception error)
        {
            // Its records are in the page cache but may not reach the disk: no Ask waiting for an fsync of them
            // may be answered as durable.
            lock (_appendLock)
            {
                _syncWaiters.MarkFailed(_synced, end, error);
                if (segment.Tainted is null || !ReferenceEquals(error.InnerException, segment.Tainted))
                {
                    // Not counted yet (a segment whose fsync failed was counted then).
                    Interlocked.Increment(ref _untrustedSegments);
                }
            }

            ReportFailure(error, "seal", 0);
        }
        finally
        {
            segment.Dispose();
        }

        _synced = Math.Max(_synced, end);
        _syncedRecords = Math.Max(_syncedRecords, records);
        long highest;
        lock (_appendLock)
        {
            // At least the highest version in the segment: its records were all appended before it was swapped out.
            highest = _highestVersion;
        }

        lock (_segmentsLock)
        {
            _sealed.Add((segment.Number, segment.Used, highest, segment.Path));
        }

        // Before truncation may delete the segment: its versions then live on in the mark. If it cannot be written
        // the truncation tries again, and keeps the segment while it fails.
        if (WriteHighestVersion() is not null)
        {
            CountError("mark");
        }

        _onSealed(segment.Number);
    }

    /// <summary>
    /// Seals the current segment (by queuing it, as a roll does) when the journal is over its bound and its records
    /// are all that keep it there: no sealed segment is left for a truncation to delete (a record larger than the
    /// bound, in a segment of its own, say). Appends queue a segment only when they roll, and the bound holds them
    /// back, so nothing else would ever free that space; the seal starts a truncation, which deletes the segment
    /// once its writes are committed. While sealed segments are left, their truncations free the space, and a
    /// truncation that deletes them wakes the loop to look again. Loop only, before the pass that seals.
    /// </summary>
    private void RollAtBound()
    {
        if (TotalBytes < _options.MaxJournalBytes)
        {
            return;
        }

        lock (_segmentsLock)
        {
            if (_sealed.Count > 0)
            {
                return;
            }
        }

        Exception? failure = null;
        lock (_appendLock)
        {
            if (_closed || _toSeal.Count > 0 || _current is null || _current.Used <= JournalFormat.SegmentHeaderBytes)
            {
                // Closing, a seal is already on its way (its truncation wakes the loop again), or nothing to free.
                return;
            }

            try
            {
                Roll(0);
            }
            catch (Exception error)
            {
                // No segment to roll to (disk full): the appends fail too; the next wake tries again.
                failure = error;
            }
        }

        if (failure is not null)
        {
            ReportFailure(failure, "segment", 0);
        }
    }

    /// <summary>Creates the next segment ahead of time, so that a roll does not wait for the disk.</summary>
    private void PrepareSpare()
    {
        Exception? failure = null;
        lock (_spareLock)
        {
            if (_spare is null)
            {
                try
                {
                    _spare = JournalSegment.Create(_options.Directory, _nextNumber++, _options.SegmentBytes);
                }
                catch (Exception error)
                {
                    // Tried again at the next pass; a roll before then creates the segment itself and fails the
                    // write if it cannot.
                    failure = error;
                }
            }
        }

        if (failure is not null)
        {
            // Reported off the spare lock, which appenders take when they roll.
            ReportFailure(failure, "segment", 0);
        }
    }

    /// <summary>
    /// Makes the spare segment current and queues the full one for the loop to seal (under the append lock).
    /// Without a spare that fits (the loop has not made one yet, or the record is larger than a segment) one is
    /// created here; when that fails (disk full) the current segment stays and the roll is tried again.
    /// </summary>
    private void Roll(int length)
    {
        long needed = JournalFormat.SegmentHeaderBytes + (long)length;
        JournalSegment next;
        lock (_spareLock)
        {
            if (_spare is { } spare && spare.Capacity >= needed)
            {
                next = spare;
            }
            else
            {
                next = JournalSegment.Create(_options.Directory, _nextNumber++, Math.Max(_options.SegmentBytes, needed));
                if (_spare is { } small)
                {
                    // Numbers must follow the order segments are used in: the smaller spare goes.
                    small.Dispose();
                    File.Delete(small.Path);
                }
            }

            _spare = null;
        }

        if (_current is not null)
        {
            _toSeal.Enqueue((_current, _appended, _appendedRecords));
        }

        _current = next;
        Interlocked.Add(ref _totalBytes, next.Used);
    }

    /// <summary>
    /// Keeps the highest version seen in <see cref="HighestVersionFile"/> (written to a temporary file, then renamed
    /// over it), unless the mark already holds it. Without the mark, a start reads the versions of the records that
    /// are left, so no segment is deleted while it fails (<see cref="EnsureMarked"/>).
    /// </summary>
    /// <returns>Null when the mark durably holds the highest version; else why it could not be written.</returns>
    private Exception? WriteHighestVersion()
    {
        long highest;
        lock (_appendLock)
        {
            highest = _highestVersion;
        }

        lock (_markLock)
        {
            if (highest <= _markedVersion)
            {
                return null;
            }

            try
            {
                // Durable before any segment it stands for may be deleted.
                DirectorySync.WriteFile(_options.Directory, HighestVersionFile, System.Text.Encoding.ASCII.GetBytes(highest.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                _markedVersion = highest;
                return null;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return error;
            }
        }
    }

    /// <summary>
    /// Makes sure the mark durably covers <paramref name="version"/> before segments holding it are deleted, writing
    /// it if it does not; returns the version it covers.
    /// </summary>
    /// <exception cref="IOException">The mark could not be written (counted; the caller keeps the segments and logs it).</exception>
    private long EnsureMarked(long version)
    {
        lock (_markLock)
        {
            if (_markedVersion >= version)
            {
                return _markedVersion;
            }
        }

        if (WriteHighestVersion() is { } error)
        {
            CountError("mark");
            throw Unmarked(error);
        }

        lock (_markLock)
        {
            return _markedVersion;
        }
    }

    /// <summary>The error that keeps segments because the mark could not be written.</summary>
    private IOException Unmarked(Exception error) => new(
        $"The journal's highest-version mark ('{HighestVersionFile}' in '{_options.Directory}') could not be written ({error.Message}), so the journal segments it would stand for are kept: "
        + "deleted without it, a restart on a clock that stepped back could give new writes versions below rows already stored, and the store's version guard would drop them. Check the folder's free space and permissions.",
        error);

    /// <summary>Reads <see cref="HighestVersionFile"/>; 0 when it is missing or unreadable.</summary>
    private static long ReadHighestVersion(string directory)
    {
        try
        {
            string path = Path.Combine(directory, HighestVersionFile);
            return File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long version)
                ? version
                : 0;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Remembers that the records in (<paramref name="from"/>, <paramref name="to"/>] are not in the journal. Under the append lock.</summary>
    private void RememberFailure(long from, long to, Exception error)
    {
        _failures.Enqueue((from, to, error));
        if (_failures.Count > RememberedFailures)
        {
            _forgottenFailuresUpTo = _failures.Dequeue().To;
        }

        Volatile.Write(ref _failureCount, _failureCount + 1);
    }

    /// <summary>The last failed journal write (append, segment, fsync): when (a timestamp of the journal's clock) and why; null before any.</summary>
    public (long At, string Operation, string Message)? LastFailure => Volatile.Read(ref _lastFailure) is { } last ? (last.At, last.Operation, last.Message) : null;

    /// <summary>Counts a failed <paramref name="operation"/> (append, sync, seal, segment) and logs it.</summary>
    private void ReportFailure(Exception error, string operation, int bytes)
    {
        Volatile.Write(ref _lastFailure, new Failure(_time.GetTimestamp(), operation, error.Message));
        CountError(operation);
        try
        {
            _onWriteFailed(error, bytes);
        }
        catch (Exception)
        {
            // Logging must not take the journal down; the Asks were already failed.
        }
    }

    /// <summary>Counts a journal error under its operation (writebehind.journal.errors).</summary>
    private void CountError(string operation)
    {
        var tags = _tags;
        tags.Add("writebehind.journal.operation", operation);
        WriteBehindMetrics.JournalErrors.AddSafely(1, tags);
    }

    /// <summary>A failed journal write: when, in which operation, and why.</summary>
    private sealed record Failure(long At, string Operation, string Message);
}
