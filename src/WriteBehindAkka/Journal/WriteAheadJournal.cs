using System.Buffers;
using System.Threading.Channels;

namespace WriteBehindAkka.Journal;

/// <summary>
/// The local append-only journal: one writer loop takes records from every shard, appends them to the current
/// segment file and fsyncs by the policy, with group commit (one fsync covers everything appended while the
/// previous one ran). Full segments are sealed; a sealed segment is deleted once every write accepted before
/// its end is committed (the cache runs a flush for that), which keeps the journal about as large as the backlog.
/// </summary>
internal sealed class WriteAheadJournal
{
    private const int MaxGroupBytes = 4 * 1024 * 1024;

    private readonly JournalOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<JournalAppend> _appends = Channel.CreateUnbounded<JournalAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _segmentsLock = new();

    /// <summary>Sealed segments, oldest first (number, bytes). Guarded by <see cref="_segmentsLock"/>.</summary>
    private readonly List<(long Number, long Bytes)> _sealed;
    private readonly FileStream _lockFile;
    private readonly ITimer? _syncTimer;
    private readonly Task _loop;

    /// <summary>Called on the loop when a segment is sealed, with its number: the cache flushes, then deletes up to it.</summary>
    private readonly Action<long> _onSealed;

    /// <summary>Called when deleting segments freed space (to wake writers waiting on the bound).</summary>
    private readonly Action _onSpaceFreed;

    private FileStream _current;
    private long _currentNumber;
    private long _currentBytes;
    private long _totalBytes;
    private bool _unsynced;
    private long _lastSync;
    private long _fsyncs;

    private WriteAheadJournal(JournalOptions options, TimeProvider time, FileStream lockFile, JournalReadResult recovered, Action<long> onSealed, Action onSpaceFreed)
    {
        _options = options;
        _time = time;
        _lockFile = lockFile;
        _onSealed = onSealed;
        _onSpaceFreed = onSpaceFreed;
        _sealed = [.. recovered.Replayable];
        _totalBytes = _sealed.Sum(s => s.Bytes);
        _current = OpenSegment(recovered.HighestSegment + 1);
        _lastSync = time.GetTimestamp();
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

    /// <summary>Test hook: consulted before each write to disk; an exception returned is thrown as the I/O error.</summary>
    internal Func<Exception?>? FaultInjector { get; set; }

    /// <summary>The highest segment number that was sealed at start-up (0: none).</summary>
    public long RecoveredUpTo { get; private init; }

    /// <summary>Opens (and locks) the journal folder and reads what an earlier run left in it.</summary>
    public static WriteAheadJournal Open(JournalOptions options, TimeProvider time, Action<long> onSealed, Action onSpaceFreed, out JournalReadResult recovered)
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
        return new WriteAheadJournal(options, time, lockFile, recovered, onSealed, onSpaceFreed) { RecoveredUpTo = recoveredUpTo };
    }

    /// <summary>Queues a record; never blocks. Once the journal is closed, the Ask is failed instead.</summary>
    public void Append(in JournalAppend append)
    {
        if (!_appends.Writer.TryWrite(append))
        {
            append.Reply?.TrySetException(new ObjectDisposedException(nameof(WriteAheadJournal), "The journal is closed: the cache is shutting down."));
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
        _appends.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _syncTimer?.Dispose();
        try
        {
            _current.Flush(flushToDisk: true);
        }
        finally
        {
            await _current.DisposeAsync().ConfigureAwait(false);
        }

        if (deleteAll)
        {
            DeleteSealedUpTo(long.MaxValue);
            File.Delete(Path.Combine(_options.Directory, JournalFormat.SegmentName(_currentNumber)));
        }

        await _lockFile.DisposeAsync().ConfigureAwait(false);
    }

    private void RequestSync() => _appends.Writer.TryWrite(new JournalAppend(null, 0, null, true));

    private async Task RunAsync()
    {
        var reader = _appends.Reader;
        var buffer = new ArrayBufferWriter<byte>(1024 * 1024);
        var replies = new List<(TaskCompletionSource<WriteResult> Reply, long Version)>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            buffer.ResetWrittenCount();
            replies.Clear();
            bool syncNow = _options.FsyncPolicy == FsyncPolicy.Always;
            while (buffer.WrittenCount < MaxGroupBytes && reader.TryRead(out var append))
            {
                if (append.Record is null)
                {
                    syncNow = true;
                    continue;
                }

                buffer.Write(append.Record);
                if (append.Reply is not null)
                {
                    replies.Add((append.Reply, append.Version));
                }

                syncNow |= append.RequireFsync;
            }

            Exception? error = null;
            try
            {
                WriteGroup(buffer.WrittenSpan, syncNow);
            }
            catch (Exception caught)
            {
                error = caught;
            }

            foreach (var (reply, version) in replies)
            {
                if (error is null)
                {
                    reply.TrySetResult(new WriteResult(version, WriteConsistency.Accepted));
                }
                else
                {
                    reply.TrySetException(new JournalWriteException(
                        $"The write at version {version} was applied in memory but its journal record could not be written ({error.Message}), so it was not acknowledged. Check the free space and permissions of '{_options.Directory}'.",
                        error));
                }
            }
        }
    }

    private void WriteGroup(ReadOnlySpan<byte> group, bool syncNow)
    {
        if (FaultInjector?.Invoke() is { } fault)
        {
            throw fault;
        }

        if (group.Length > 0)
        {
            if (_currentBytes > JournalFormat.SegmentHeaderBytes && _currentBytes + group.Length > _options.SegmentBytes)
            {
                Roll();
            }

            _current.Write(group);
            _currentBytes += group.Length;
            Interlocked.Add(ref _totalBytes, group.Length);
            _unsynced = true;
        }

        if (_unsynced && (syncNow || (_options.FsyncPolicy == FsyncPolicy.EverySecond && _time.GetElapsedTime(_lastSync) >= _options.FsyncInterval)))
        {
            _current.Flush(flushToDisk: true);
            _unsynced = false;
            _lastSync = _time.GetTimestamp();
            Interlocked.Increment(ref _fsyncs);
        }
    }

    /// <summary>Seals the current segment (fsynced) and starts the next.</summary>
    private void Roll()
    {
        _current.Flush(flushToDisk: true);
        _unsynced = false;
        _current.Dispose();
        long sealedNumber = _currentNumber;
        lock (_segmentsLock)
        {
            _sealed.Add((sealedNumber, _currentBytes));
        }

        _current = OpenSegment(sealedNumber + 1);
        _onSealed(sealedNumber);
    }

    private FileStream OpenSegment(long number)
    {
        var stream = new FileStream(Path.Combine(_options.Directory, JournalFormat.SegmentName(number)), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        byte[] header = JournalFormat.SegmentHeader(number);
        stream.Write(header);
        stream.Flush(flushToDisk: true);
        DirectorySync.Sync(_options.Directory);
        _currentNumber = number;
        _currentBytes = header.Length;
        Interlocked.Add(ref _totalBytes, header.Length);
        return stream;
    }
}
