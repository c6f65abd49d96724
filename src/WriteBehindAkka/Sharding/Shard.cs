using System.Collections.Concurrent;
using System.Threading.Channels;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Sharding;

/// <summary>
/// A shard actor: the single reader of a bounded mailbox and the only owner of the entries of one contiguous
/// range of the key hash.
/// </summary>
/// <remarks>
/// <para>
/// Its state is changed by one thread at a time: the loop holds <see cref="_lock"/> while it handles messages,
/// and a caller that finds the shard idle (nothing queued, lock free) runs a write or a cached read itself under
/// the same lock (see <c>Shard.Inline.cs</c>). That is an actor's guarantee (one message at a time, in the order
/// each sender sent them) without a thread hop or an allocation on the hot path.
/// </para>
/// Supervision: a command or signal that throws is answered with the exception and the loop carries on with
/// its state intact (Akka's Restart directive keeping the actor's state, which here lives outside the loop).
/// </remarks>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed partial class Shard<TKey>
    where TKey : notnull
{
    private const int SignalCheckInterval = 256;

    /// <summary>Below this many slots the entry table and the expiry queue keep their room (see <c>TrimIfSparse</c>).</summary>
    private const int MinTrimmedCapacity = 1024;

    private readonly int _id;
    private readonly CacheContext<TKey> _ctx;
    private readonly Channel<ShardCommand<TKey>> _mailbox;

    /// <summary>The system mailbox: outcomes, ticks and loads, drained before user commands.</summary>
    private readonly ConcurrentQueue<ShardSignal> _signals = new();

    /// <summary>1 while a Wake command is (or may be) in the mailbox.</summary>
    private int _wakePending;

    /// <summary>Held by whoever handles a message: the loop, or a caller running a write inline.</summary>
    private readonly Lock _lock = new();

    /// <summary>Messages sent to the mailbox (wake-ups aside) and not yet handled: while any is, callers queue behind them.</summary>
    private int _queued;

    /// <summary>
    /// Writes in the mailbox not handled yet, and their payload bytes: every bound check counts them, or a mailbox
    /// full of Tells would overshoot the pending bound (and the journal's) by the mailbox's capacity. Writes the
    /// capacity gate admitted are counted there instead.
    /// </summary>
    private long _queuedWrites;

    /// <summary>The payload bytes of <see cref="_queuedWrites"/>.</summary>
    private long _queuedWriteBytes;

    /// <summary>Set under the lock when the loop has ended: nothing more is handled inline.</summary>
    private bool _closed;

    /// <summary>
    /// Keys a dead-letter retry is reading the store for, with how many retries watch them and the newest committed
    /// version of an entry of the key dropped meanwhile (so a commit the store read missed still supersedes the letter).
    /// </summary>
    private readonly Dictionary<TKey, (int Watchers, long Dropped)> _dropWatch = [];

    /// <summary>Set (under the lock) by shutdown's final flush: later writes are refused. See <see cref="EpochCounter.FinalFlush"/>.</summary>
    private volatile bool _sealed;

    /// <summary>Gets how many keys a dead-letter retry watches now (tests).</summary>
    internal int DropWatchCount
    {
        get
        {
            lock (_lock)
            {
                return _dropWatch.Count;
            }
        }
    }

    /// <summary>Gets the room of the entry table and of the eviction queue, in slots (tests).</summary>
    internal (int Table, int EvictionQueue) Capacity
    {
        get
        {
            lock (_lock)
            {
                return (_entries.Capacity, _evictable.Capacity);
            }
        }
    }

    /// <summary>Gets how many keys a read-through load is under way for (tests).</summary>
    internal int LoadsUnderWay
    {
        get
        {
            lock (_lock)
            {
                return _loading.Count;
            }
        }
    }

    /// <summary>Gets a value indicating whether shutdown's final flush reached this shard (tests).</summary>
    internal bool IsSealed => _sealed;

    /// <summary>Tells between their check that the cache runs and the end of their write or post: see <see cref="EnterTell"/>.</summary>
    private int _tellsEntering;

    /// <summary>
    /// Marks a Tell as entering, before it checks that the cache is running. Shutdown marks the cache stopping and
    /// then waits until no Tell is entering before it sends the final flush (<see cref="TellsEntering"/>): a Tell
    /// either sees the cache stopping and is refused, or is applied or queued before the flush, never after it.
    /// Both sides' interlocked operations are full fences, so one of the two always sees the other.
    /// </summary>
    public void EnterTell() => Interlocked.Increment(ref _tellsEntering);

    /// <summary>Ends what <see cref="EnterTell"/> began.</summary>
    public void ExitTell() => Interlocked.Decrement(ref _tellsEntering);

    /// <summary>Gets how many Tells are between their check and their write or post.</summary>
    public int TellsEntering => Volatile.Read(ref _tellsEntering);

    private readonly EntryTable<TKey> _entries = new();

    /// <summary>Dirty entries waiting to be emitted, oldest first.</summary>
    private readonly Queue<CacheEntry<TKey>> _ready = new();

    /// <summary>
    /// Dirty entries queued again (after their previous write landed) while a flush waits for them: emitted before
    /// <see cref="_ready"/>, so that they do not wait out the write delay behind writes made after the flush.
    /// </summary>
    private readonly Queue<CacheEntry<TKey>> _hurried = new();

    /// <summary>
    /// Eviction and expiry candidates: entries that became clean, each with the committed version it had when queued,
    /// oldest first. An entry committed again since is moved to the back when it reaches the front (oldest-committed
    /// first); with a bound on entries or an idle expiry a read queues it again at the back (see
    /// <see cref="EntryFlags.Referenced"/>). Kept only with <see cref="Options.WriteBehindOptions.MaxCachedEntries"/>,
    /// <see cref="Options.WriteBehindOptions.TimeToLive"/> or <see cref="Options.WriteBehindOptions.MaxIdle"/> set.
    /// </summary>
    private readonly Queue<(CacheEntry<TKey> Entry, long CommittedVersion)> _evictable = new();

    private readonly EpochCounter _epochs = new();
    private readonly HybridLogicalClock _clock;
    private readonly ChannelWriter<PipelineItem<TKey>> _lane;

    /// <summary>Read-through loads under way, with the readers waiting for each.</summary>
    private readonly Dictionary<TKey, List<TaskCompletionSource<byte[]?>>> _loading = [];

    /// <summary>
    /// Keys whose entry was dropped while a load of them was under way, or that the application evicted then: the row
    /// the load read may predate a write the entry held (committed since), or the change the application was told of,
    /// so it is loaded again rather than cached.
    /// </summary>
    private readonly HashSet<TKey> _staleLoads = [];

    /// <summary>
    /// Keys loaded again because their previous load was stale, with how many readers (at the head of the key's list
    /// in <see cref="_loading"/>) waited through that previous load: the reload answers them even if it is stale in
    /// turn, so that evictions as frequent as loads cannot keep a reader waiting for ever.
    /// </summary>
    private readonly Dictionary<TKey, int> _reloadedReaders = [];

    /// <summary>The most entries this shard keeps (0: no bound).</summary>
    private readonly long _maxEntries;

    /// <summary>Write delay in <see cref="TimeProvider.GetTimestamp"/> ticks.</summary>
    private readonly long _writeDelayTicks;

    /// <summary>The tags of <see cref="WriteBehindMetrics.EntriesRemoved"/>: evicted past MaxCachedEntries, expired, or evicted on request.</summary>
    private readonly System.Diagnostics.TagList _evictedTags, _expiredTags, _requestedTags;

    /// <summary><see cref="Options.WriteBehindOptions.TimeToLive"/> in <see cref="TimeProvider.GetTimestamp"/> ticks (0: entries do not expire).</summary>
    private readonly long _ttlTicks;

    /// <summary><see cref="Options.WriteBehindOptions.MaxIdle"/> in <see cref="TimeProvider.GetTimestamp"/> ticks (0: no idle expiry).</summary>
    private readonly long _idleTicks;

    /// <summary>
    /// The unit of <see cref="CacheEntry{TKey}.LastReadAfterMs"/> in <see cref="TimeProvider.GetTimestamp"/> ticks (at
    /// least 1): a millisecond, or more when a time to live is longer than <see cref="int.MaxValue"/> milliseconds
    /// (24.8 days; 49 are allowed), so that any read before the entry's time to live is out fits in the four bytes.
    /// </summary>
    private readonly long _ticksPerMs;

    private ITimer? _timer;
    private long _timerDueAt = long.MaxValue;

    /// <summary>
    /// Writes of an epoch below this one are awaited by a flush (a user's, or shutdown's): they go to the pipeline
    /// without waiting out <see cref="Options.WriteBehindOptions.WriteDelay"/>, so a flush is not held up by the
    /// delay, and shutdown's does not spend its deadline on it. The cache's own flush before journal truncation
    /// does not hurry writes.
    /// </summary>
    private int _hurryBelowEpoch;

    /// <summary>True while a pump waits for room in the writer's input.</summary>
    private bool _pumping;

    private long _failedCount;
    private long _pendingEntries;
    private long _pendingBytes;
    private long _unrecordedFailures;

    /// <summary>The entries counted in <see cref="_unrecordedFailures"/> (rare: allocated on the first).</summary>
    private HashSet<CacheEntry<TKey>>? _unrecorded;
    private long _restarts;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> reading at which the oldest write waiting to be emitted became dirty; 0 when none waits.</summary>
    private long _oldestWaitingSince;

    public Shard(int id, CacheContext<TKey> ctx, ChannelWriter<PipelineItem<TKey>> lane)
    {
        _id = id;
        _ctx = ctx;
        _lane = lane;
        _clock = new HybridLogicalClock(ctx.Time);
        _mailbox = Channel.CreateBounded<ShardCommand<TKey>>(new BoundedChannelOptions(ctx.Options.MailboxCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        long max = ctx.Options.MaxCachedEntries;
        // Rounded up without (max + n - 1), which overflows for a bound near long.MaxValue ("no bound" in a config file).
        _maxEntries = max == 0 ? 0 : Math.Max(1, (max / ctx.Options.ShardCount) + (max % ctx.Options.ShardCount == 0 ? 0 : 1));
        _writeDelayTicks = (long)(ctx.Options.WriteDelay.TotalSeconds * ctx.Time.TimestampFrequency);
        // A positive time to live shorter than the clock's tick is one tick, not 0 (which would mean "never expire").
        _ttlTicks = ctx.Options.TimeToLive > TimeSpan.Zero ? Math.Max(1, (long)(ctx.Options.TimeToLive.TotalSeconds * ctx.Time.TimestampFrequency)) : 0;
        _idleTicks = ctx.Options.MaxIdle > TimeSpan.Zero ? Math.Max(1, (long)(ctx.Options.MaxIdle.TotalSeconds * ctx.Time.TimestampFrequency)) : 0;
        _ticksPerMs = Math.Max(Math.Max(1, ctx.Time.TimestampFrequency / 1000), (_ttlTicks + int.MaxValue - 1) / int.MaxValue);
        _evictedTags = WriteBehindMetrics.Tags(ctx.Name, "evicted");
        _expiredTags = WriteBehindMetrics.Tags(ctx.Name, "expired");
        _requestedTags = WriteBehindMetrics.Tags(ctx.Name, "requested");
    }

    /// <summary>Tell: queues a message if the mailbox has room.</summary>
    public bool TryPost(in ShardCommand<TKey> command)
    {
        Interlocked.Increment(ref _queued);
        CountQueued(command, 1);
        if (_mailbox.Writer.TryWrite(command))
        {
            return true;
        }

        Interlocked.Decrement(ref _queued);
        Uncount(command);
        return false;
    }

    /// <summary>Writes in the mailbox not handled yet (the gate's admissions aside): the bound counts them.</summary>
    public long QueuedWrites => Volatile.Read(ref _queuedWrites);

    /// <summary>The payload bytes of <see cref="QueuedWrites"/>.</summary>
    public long QueuedWriteBytes => Volatile.Read(ref _queuedWriteBytes);

    /// <summary>Counts a write into (or out of) the queued counts; false for what they do not count (not a write, or admitted by the gate).</summary>
    private bool CountQueued(in ShardCommand<TKey> command, int sign)
    {
        if (command.Kind is not (CommandKind.Set or CommandKind.Delete) || command.Admitted)
        {
            return false;
        }

        Interlocked.Add(ref _queuedWrites, sign);
        if (command.Value is { Length: > 0 } value)
        {
            Interlocked.Add(ref _queuedWriteBytes, sign * value.Length);
        }

        return true;
    }

    /// <summary>
    /// Takes back the count of a write that did not reach the mailbox (it was full or closed, or the wait for room
    /// was cancelled), and wakes the writers at the capacity gate if that left room: a waiter that checked the bound
    /// while this write was counted would otherwise sleep until some commit (for ever with the store idle or down).
    /// </summary>
    private void Uncount(in ShardCommand<TKey> command)
    {
        if (CountQueued(command, -1))
        {
            OpenGateIfRoom();
        }
    }

    /// <summary>Queues a message, waiting for room in the mailbox.</summary>
    public async ValueTask PostAsync(ShardCommand<TKey> command, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _queued);
        CountQueued(command, 1);
        try
        {
            await _mailbox.Writer.WriteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _queued);
            Uncount(command);
            throw;
        }
    }

    /// <summary>Completes the mailbox: the loop handles what is queued, then ends.</summary>
    public void CompleteMailbox() => _mailbox.Writer.TryComplete();

    public long PendingEntries => Volatile.Read(ref _pendingEntries);

    public long PendingBytes => Volatile.Read(ref _pendingBytes);

    /// <summary>Failed writes the dead-letter sink refused: held in memory, and in the journal, only.</summary>
    public long UnrecordedFailures => Volatile.Read(ref _unrecordedFailures);

    public long FailedCount => Volatile.Read(ref _failedCount);

    /// <summary>Entries in memory (read from other threads: see <see cref="EntryTable{TKey}.Count"/>).</summary>
    public long CachedEntries => _entries.Count;

    public long Restarts => Volatile.Read(ref _restarts);

    /// <summary>When the oldest write waiting in this shard became dirty (a timestamp; 0 when none waits).</summary>
    public long OldestWaitingSince => Volatile.Read(ref _oldestWaitingSince);

    /// <summary>Posts a system message; never blocks.</summary>
    public void Post(ShardSignal signal)
    {
        _signals.Enqueue(signal);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            // If the mailbox is full the shard is busy and drains the signals before it next waits.
            _mailbox.Writer.TryWrite(new ShardCommand<TKey>(CommandKind.Wake, default!, null, null, default));
        }
    }

    /// <summary>The shard loop; ends when the mailbox is completed and drained.</summary>
    public async Task RunAsync()
    {
        var reader = _mailbox.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            lock (_lock)
            {
                int handled = 0;
                while (handled++ < SignalCheckInterval && reader.TryRead(out var command))
                {
                    Execute(command);
                    if (command.Kind != CommandKind.Wake)
                    {
                        Interlocked.Decrement(ref _queued);
                        CountQueued(command, -1);
                    }
                }

                DrainSignals();
                Emit();

                // A queued write that coalesced into a pending key, or was refused, left room behind it.
                OpenGateIfRoom();
            }
        }

        lock (_lock)
        {
            _closed = true;
            DrainSignals();
            _timer?.Dispose();
            _epochs.FailAll(new ObjectDisposedException(_ctx.Name, "The cache stopped before the flush completed."));
            FailWaitersAtStop();
        }
    }

    /// <summary>
    /// Answers what nothing will answer once the loop has ended: Committed-level writers whose write was not
    /// committed (the shutdown deadline passed; the writers have stopped and their outcomes are drained), and
    /// readers waiting for a read-through load.
    /// </summary>
    private void FailWaitersAtStop()
    {
        foreach (var entry in _entries)
        {
            if (entry.Extras?.CommitWaiters is { Count: > 0 } waiters)
            {
                foreach (var (version, reply) in waiters)
                {
                    reply.TrySetException(new ObjectDisposedException(
                        _ctx.Name,
                        $"The cache stopped before the commit of key '{KeyText.Of(entry.Key)}' at version {version} was confirmed (the shutdown deadline passed): the write may or may not be in the store. With the journal it is replayed at the next start, which is harmless if it was."));
                }

                waiters.Clear();
            }
        }

        foreach (var (key, readers) in _loading)
        {
            foreach (var reader in readers)
            {
                reader.TrySetException(new ObjectDisposedException(_ctx.Name, $"The cache stopped before the read-through load of key '{KeyText.Of(key)}' completed."));
            }
        }

        _loading.Clear();
        _staleLoads.Clear();
        _reloadedReaders.Clear();
    }

    private void DrainSignals()
    {
        Interlocked.Exchange(ref _wakePending, 0);
        bool any = false;
        while (_signals.TryDequeue(out var signal))
        {
            any = true;
            try
            {
                Handle(signal);
            }
            catch (Exception error)
            {
                Restarted(error, signal.GetType().Name);
            }
        }

        if (any)
        {
            _epochs.Release();
            Evict();
            Expire();
        }
    }

    private void Handle(ShardSignal signal)
    {
        switch (signal)
        {
            case BatchOutcome<TKey> outcome:
                OnOutcome(outcome);
                break;
            case LoadCompletedSignal<TKey> load:
                OnLoaded(load);
                break;
            case PipelineReadySignal:
                _pumping = false;
                break;
            case TickSignal:
                _timerDueAt = long.MaxValue;
                break;
        }
    }

    private void Execute(in ShardCommand<TKey> command)
    {
        try
        {
            switch (command.Kind)
            {
                case CommandKind.Set:
                case CommandKind.Delete:
                    try
                    {
                        if (_sealed)
                        {
                            RefuseAfterSeal(command);
                        }
                        else
                        {
                            Write(command);
                        }
                    }
                    finally
                    {
                        if (command.Admitted)
                        {
                            // Counted (or refused) now: the gate's waiters re-check the bound with it.
                            _ctx.Gate.Release(command.Value?.Length ?? 0);
                        }
                    }

                    break;
                case CommandKind.Get:
                    Get(command.Key, (TaskCompletionSource<byte[]?>)command.Reply!);
                    break;
                case CommandKind.ReadForUpdate:
                    ReadForUpdate(command.Key, (TaskCompletionSource<UpdateSnapshot<TKey>>)command.Reply!);
                    break;
                case CommandKind.GetMany:
                    GetMany((GetManyRequest<TKey>)command.Reply!);
                    break;
                case CommandKind.Status:
                    ((TaskCompletionSource<KeyStatus>)command.Reply!).TrySetResult(
                        _entries.TryGetValue(command.Key, out var entry) ? entry.ToStatus() : KeyStatus.NotCached);
                    break;
                case CommandKind.Evict:
                    ((TaskCompletionSource<bool>)command.Reply!).TrySetResult(EvictOnRequest(command.Key));
                    break;
                case CommandKind.EvictAll:
                    ((TaskCompletionSource<long>)command.Reply!).TrySetResult(EvictAllOnRequest());
                    break;
                case CommandKind.Flush:
                    var flushState = ((TaskCompletionSource<long>)command.Reply!).Task.AsyncState;
                    _sealed |= flushState == EpochCounter.FinalFlush;
                    _epochs.AddWaiter((TaskCompletionSource<long>)command.Reply!);
                    if (flushState != EpochCounter.QuietFlush)
                    {
                        // A user's flush or shutdown's: what it waits for skips the write delay (see Emit).
                        _hurryBelowEpoch = _epochs.Current;
                    }

                    _epochs.Release();
                    break;
                case CommandKind.Recover:
                    Recover((RecoveryBatch<TKey>)command.Reply!);
                    break;
                case CommandKind.Crash:
                    throw new InvalidOperationException($"Shard {_id} was asked to crash (supervision test).");
                case CommandKind.Wake:
                    break;
                case CommandKind.Resubmit:
                    Resubmit(command);
                    break;
                case CommandKind.Forget:
                    Forget(command);
                    break;
                case CommandKind.Rejournal:
                    Rejournal((RejournalRequest)command.Reply!);
                    break;
            }
        }
        catch (Exception error)
        {
            Fail(command.Reply, error);
            Restarted(error, command.Kind.ToString());
        }
    }

    /// <summary>
    /// Refuses a write that reached the shard after shutdown's final flush (it passed the cache's check just before
    /// the shutdown began): an Ask fails with <see cref="ObjectDisposedException"/>; a Tell, already answered, is
    /// dropped and logged. Applied, it would have been acknowledged and then never written. (A Tell cannot get here:
    /// shutdown waits for the Tells entering before its final flush, see <see cref="EnterTell"/>; this is a guard.)
    /// </summary>
    private void RefuseAfterSeal(in ShardCommand<TKey> command)
    {
        if (command.Reply is TaskCompletionSource<WriteResult> reply)
        {
            reply.TrySetException(new ObjectDisposedException(
                _ctx.Name,
                $"The cache '{_ctx.Name}' is shutting down: the {(command.Kind == CommandKind.Delete ? "delete" : "write")} of key '{KeyText.Of(command.Key)}' arrived after its last flush and was not taken."));
        }
        else
        {
            Log.WriteRefusedAtShutdown(_ctx.Logger, _ctx.Name, KeyText.Of(command.Key));
        }
    }

    private void Restarted(Exception error, string what)
    {
        long restarts = Interlocked.Increment(ref _restarts);
        var tags = _ctx.Tags;
        tags.Add("writebehind.component", "shard");
        WriteBehindMetrics.Restarts.AddSafely(1, tags);
        Log.ShardRestarted(_ctx.Logger, error, _ctx.Name, _id, what, restarts);
    }

    private static void Fail(object? reply, Exception error)
    {
        switch (reply)
        {
            case TaskCompletionSource<WriteResult> write:
                write.TrySetException(error);
                break;
            case TaskCompletionSource<byte[]?> get:
                get.TrySetException(error);
                break;
            case TaskCompletionSource<UpdateSnapshot<TKey>> update:
                update.TrySetException(error);
                break;
            case TaskCompletionSource<KeyStatus> status:
                status.TrySetException(error);
                break;
            case TaskCompletionSource<long> flush:
                flush.TrySetException(error);
                break;
            case RecoveryBatch<TKey> recovery:
                recovery.Done.TrySetException(error);
                break;
            case RejournalRequest rejournal:
                rejournal.TrySetException(error);
                break;
        }
    }

    /// <summary>After the backlog shrank: wakes the writers waiting at the capacity gate if it is under its bound now.</summary>
    private void OpenGateIfRoom()
    {
        if (_ctx.Gate.HasWaiters && !_ctx.IsOverBound())
        {
            _ctx.Gate.Open();
        }
    }

    /// <summary>Brings the pending counts in line with the entry after a change.</summary>
    private void Account(CacheEntry<TKey> entry, PendingState before)
    {
        var now = entry.Pending;
        int deltaEntries = (now.IsPending ? 1 : 0) - (before.IsPending ? 1 : 0);
        int deltaBytes = now.Bytes - before.Bytes;
        if (deltaEntries != 0)
        {
            Interlocked.Add(ref _pendingEntries, deltaEntries);
        }

        if (deltaBytes != 0)
        {
            Interlocked.Add(ref _pendingBytes, deltaBytes);
        }

        if (now.Unrecorded != before.Unrecorded)
        {
            Interlocked.Add(ref _unrecordedFailures, now.Unrecorded ? 1 : -1);
            if (now.Unrecorded)
            {
                (_unrecorded ??= []).Add(entry);
            }
            else
            {
                _unrecorded?.Remove(entry);
            }
        }

        if (deltaEntries < 0 || deltaBytes < 0)
        {
            OpenGateIfRoom();
        }
    }
}
