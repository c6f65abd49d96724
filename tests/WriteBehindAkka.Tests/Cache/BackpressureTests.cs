using BoundKey = WriteBehindAkka.Tests.Cache.HeldKey<WriteBehindAkka.Tests.Cache.QueuedWritesBoundTests>;
using CancelKey = WriteBehindAkka.Tests.Cache.HeldKey<WriteBehindAkka.Tests.Cache.QueuedWriteCancelledTests>;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class BackpressureTests
{
    [Fact]
    public async Task SetAsync_OverPendingBound_WaitsUntilBacklogDrains()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2 }));
        await cache.SetAsync("k1", "v");
        await cache.SetAsync("k2", "v");

        var blocked = cache.SetAsync("k3", "v").AsTask();
        bool told = cache.TrySet("k4", "v");

        Assert.False(blocked.IsCompleted);
        Assert.False(told);
        Assert.Equal(2, cache.GetStatistics().PendingEntries);
        store.Resume();
        await blocked.Within();
        await cache.FlushAsync().Within();
        Assert.Equal(["k1", "k2", "k3"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task SetAsync_OverPendingBytesWithFailStrategy_ThrowsOverflowAndChangesNothing()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingBytes = 10, MaxValueBytes = 10, OverflowStrategy = OverflowStrategy.Fail }));
        await cache.SetAsync("k1", "12345678"); // 10 bytes of JSON

        var error = await Assert.ThrowsAsync<CacheOverflowException>(() => cache.SetAsync("k2", "x").AsTask());

        Assert.Equal("The write-behind cache 'default' holds 1 pending entries (10 bytes); the bound is 1000000 entries or 10 bytes. Retry later, raise the bound, or use OverflowStrategy.Backpressure to wait.", error.Message);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k2"));
        store.Resume();
    }

    [Theory]
    [InlineData(false)] // deleted while in flight
    [InlineData(true)] // rewritten with a value of another size while in flight
    public async Task PendingBytes_ValueReplacedWhileInFlight_StaysCountedUntilItsWriteLands(bool rewrite)
    {
        // The pipeline holds the emitted array until its write lands; a newer write of the key no longer holds it,
        // but MaxPendingBytes must: else a slow store lets set-then-delete pile up any number of uncounted values.
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingBytes = 2500, MaxValueBytes = 2048, OverflowStrategy = OverflowStrategy.Fail }));
        string big = new('x', 2000); // 2002 bytes of JSON
        await cache.SetAsync("k", big);
        await store.ExpectBatchAsync(Harness.Within); // in flight
        if (rewrite)
        {
            await cache.SetAsync("k", "small");
        }
        else
        {
            await cache.DeleteAsync("k");
        }

        Assert.True(cache.GetStatistics().PendingBytes >= 2002, $"pending bytes {cache.GetStatistics().PendingBytes}");
        Assert.True(cache.TrySet("other", big)); // under the bound (2500) still
        Assert.False(cache.TrySet("third", "v")); // over it: the in-flight 2002 bytes count with the other's
        await Assert.ThrowsAsync<CacheOverflowException>(() => cache.SetAsync("third", "v").AsTask());
        store.Resume();
        await cache.FlushAsync().Within();

        Assert.Equal(0, cache.GetStatistics().PendingBytes);
        Assert.True(cache.TrySet("third", "v"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public async Task Backpressure_OneSlotFreesWithManyWaiters_OneWaiterGoesIn(int mailboxCapacity)
    {
        // One entry leaves the backlog (dead-lettered); every waiter used to wake, see room, and go in: 50 past the
        // bound. Then each admitted writer, once in its mailbox (not yet counted), let the next one in.
        var store = new InMemoryStore<string>();
        bool release = false;
        store.FailWhen = batch => Volatile.Read(ref release) && batch.Any(r => r.Key == "a")
            ? new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Permanent, "refused")
            : new SimulatedStoreException(); // everything else: transient, for ever
        var options = Harness.Options(o => o with { MaxPendingEntries = 2, MailboxCapacity = mailboxCapacity, ShutdownTimeout = TimeSpan.FromSeconds(1) });
        long allowed = options.MaxPendingEntries; // every writer past the bound came through the gate
        await using var cache = Harness.Cache(store, options);
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");
        var waiters = Enumerable.Range(0, 50).Select(i => cache.SetAsync($"w{i}", "v").AsTask()).ToArray();
        Assert.DoesNotContain(waiters, w => w.IsCompleted);

        Volatile.Write(ref release, true); // "a" is refused and dead-lettered: one slot frees
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (cache.GetStatistics().PendingEntries <= allowed && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        long pending = cache.GetStatistics().PendingEntries;
        Assert.True(pending <= allowed, $"{pending} pending entries; the bound is 2; {waiters.Count(w => w.IsCompleted)} waiters got in");
        Assert.Contains(waiters, w => !w.IsCompleted);
    }

    [Fact]
    public async Task Backpressure_WritersAdmittedButNotYetCounted_KeepTheirSlotsFromTheFastPath()
    {
        // Five writers are admitted as five slots free, and wait for room in a busy shard's mailbox: counted nowhere
        // yet, their slots were free for the fast path to hand out again (11 entries past a bound of 6).
        var store = new InMemoryStore<string>();
        var released = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        store.FailWhen = batch => batch.Any(r => released.ContainsKey(r.Key))
            ? new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Permanent, "refused")
            : new SimulatedStoreException(); // transient, for ever
        using var loggers = new StallingLoggerFactory(eventId: 1001);
        var options = Harness.Options(o => o with { MaxPendingEntries = 6, MailboxCapacity = 1, ShutdownTimeout = TimeSpan.FromSeconds(1) });
        await using var cache = new WriteBehindCache<string, string>(store, options, loggerFactory: loggers, jitter: () => 0.0);
        var onA = Enumerable.Range(0, 1000).Select(i => $"k{i}").Where(k => cache.ShardOf(k) == 0).ToArray();
        var onB = Enumerable.Range(0, 1000).Select(i => $"k{i}").Where(k => cache.ShardOf(k) == 1).ToArray();
        for (int i = 0; i < 6; i++)
        {
            await cache.SetAsync(onA[i], "v"); // the bound: 6 pending
        }

        await cache.CrashShardAsync(1); // shard B's loop stalls in the logger (its restart's event)
        Assert.True(loggers.Stalled.Wait(Harness.Within));
        await cache.CrashShardAsync(1); // and its mailbox (of one) is full
        var waiters = Enumerable.Range(0, 5).Select(i => cache.SetAsync(onB[i], "v").AsTask()).ToArray();
        for (int i = 0; i < 5; i++)
        {
            released[onA[i]] = true; // refused and dead-lettered: five slots free
        }

        var until = DateTime.UtcNow + Harness.Within;
        while ((cache.GetStatistics().PendingEntries != 1 || cache.GateAdmitted != 5) && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal((1, 5), (cache.GetStatistics().PendingEntries, cache.GateAdmitted));
        Assert.False(cache.TrySet(onA[100], "v")); // the five free slots are the admitted writers'
        loggers.Release.Set();
        await Task.WhenAll(waiters).Within();
        Assert.Equal(6, cache.GetStatistics().PendingEntries);
    }

    /// <summary>Loggers that stall the thread logging an event (once) until released: a shard loop held mid-message.</summary>
    private sealed class StallingLoggerFactory(int eventId) : Microsoft.Extensions.Logging.ILoggerFactory
    {
        private int _seen;

        public ManualResetEventSlim Stalled { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Staller(this);

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
            Release.Set();
            Stalled.Dispose();
        }

        private sealed class Staller(StallingLoggerFactory owner) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (id.Id == owner.EventId && Interlocked.Increment(ref owner._seen) == 1)
                {
                    owner.Stalled.Set();
                    owner.Release.Wait(TimeSpan.FromSeconds(30));
                }
            }
        }

        public int EventId => eventId;
    }

    [Fact]
    public async Task Backpressure_RoomFreedByADeadLetter_LetsTheWaiterIn()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 1 }));
        await cache.SetAsync("a", "v");
        var waiting = cache.SetAsync("b", "v").AsTask();
        Assert.False(waiting.IsCompleted);
        store.FailNext(1, new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Permanent, "refused"));
        store.Resume();
        await waiting.Within();
        await cache.FlushAsync().Within();
        Assert.Equal(0, cache.GateAdmitted);
    }

    [Fact]
    public async Task TrySet_UnderBound_AcceptedAndWritten()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);

        Assert.True(cache.TrySet("k", "v"));
        Assert.True(cache.TryDelete("gone"));
        await cache.FlushAsync().Within();

        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
        Assert.Equal("v", await cache.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_SameKeyAgainWhileAnEarlierWriteWaitsForRoom_TheLaterWriteWins()
    {
        // A caller fires two writes of one key without awaiting the first, which waits for room. When a batch frees
        // several slots at once, the first is admitted and its post to the shard runs later on the thread pool, while
        // the second went through the fast path into the room left: the older value was applied last and won.
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, MaxPendingEntries = 4, MaxBatchSize = 4 }));
        for (int round = 0; round < 20; round++)
        {
            store.Pause();
            for (int i = 0; i < 4; i++)
            {
                await cache.SetAsync($"fill{i}", $"{round}");
            }

            var older = cache.SetAsync("k", $"older{round}").AsTask();
            Assert.False(older.IsCompleted);
            store.Resume(); // the four commit in one batch: four slots free at once
            var spin = default(SpinWait);
            while (cache.GateAdmitted == 0 && !older.IsCompleted)
            {
                spin.SpinOnce(sleep1Threshold: -1); // the newer write goes the instant the older one is let in
            }

            var newer = cache.SetAsync("k", $"newer{round}").AsTask();
            await Task.WhenAll(older, newer).Within();

            Assert.Equal($"newer{round}", await cache.GetAsync("k"));
            await cache.FlushAsync().Within();
            Assert.Equal($"newer{round}", Harness.Text(store.Rows["k"].Value));
        }
    }
}

/// <summary>Tells queued behind a busy shard: the bounds count them before their shard does.</summary>
public sealed class QueuedWritesBoundTests : IDisposable
{
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "wb-queued-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TellsQueuedBehindABusyShard_CountTowardTheBound(bool journalBound)
    {
        // The bounds were checked against what the shards had counted, and a write in a mailbox is counted only
        // when its shard handles it: a shard busy for a moment let its whole mailbox (4,096 writes by default) in
        // over a bound of 10 entries, or of 8 KiB of journal.
        BoundKey.Held.Reset();
        BoundKey.Holding.Reset();
        var store = new InMemoryStore<BoundKey>();
        store.Pause();
        var options = Harness.Options(o => o with
        {
            OverflowStrategy = OverflowStrategy.Fail,
            MaxPendingEntries = journalBound ? 1_000_000 : 10,
            Journal = journalBound ? new WriteBehindAkka.Journal.JournalOptions { Directory = _journal, FsyncPolicy = WriteBehindAkka.Journal.FsyncPolicy.No, SegmentBytes = 4096, MaxJournalBytes = 8192 } : null,
        });
        await using var cache = new WriteBehindCache<BoundKey, string>(store, options, keyHasher: new OneShard<QueuedWritesBoundTests>(), jitter: () => 0.0);
        var holder = Task.Run(() => cache.TrySet(new BoundKey("hold"), "v"));
        Assert.True(BoundKey.Holding.Wait(Harness.Within), "the inline write reached the shard's table");

        int accepted = 0;
        for (int i = 0; i < 1000; i++)
        {
            accepted += cache.TrySet(new BoundKey("k" + i), new string('x', 100)) ? 1 : 0;
        }

        var health = cache.GetHealth();
        BoundKey.Held.Set();
        Assert.True(await holder.Within());
        store.Resume();
        await cache.FlushAsync().Within();

        // The journal's bound: 8 KiB of records of about 131 bytes (the write that crosses the bound goes in).
        Assert.InRange(accepted, 1, journalBound ? 63 : 10);
        Assert.Equal(accepted + 1, store.Rows.Count);
        Assert.Equal(CacheHealth.Degraded, health.Status);
        Assert.StartsWith(journalBound ? "The journal is at its bound (" : "The backlog is at its bound (", health.Description, StringComparison.Ordinal);
    }
}

/// <summary>A write that gives up while it waits for room in a full mailbox: the room it counted is given back to the waiters.</summary>
public sealed class QueuedWriteCancelledTests
{
    [Fact]
    public async Task WriteCancelledWhileWaitingForMailboxRoom_WakesABackpressureWriterItHeldBack()
    {
        // The bound counts a write from the moment it waits for room in its shard's mailbox. When that write was
        // cancelled, its count went, but no waiter at the capacity gate was told: a Backpressure writer held back
        // only by it slept on until some commit (with the store idle or down, for ever).
        CancelKey.Held.Reset();
        CancelKey.Holding.Reset();
        var store = new InMemoryStore<CancelKey>();
        store.Pause();
        var options = Harness.Options(o => o with { OverflowStrategy = OverflowStrategy.Backpressure, MaxPendingEntries = 3, MailboxCapacity = 1 });
        await using var cache = new WriteBehindCache<CancelKey, string>(store, options, keyHasher: new OneShard<QueuedWriteCancelledTests>(), jitter: () => 0.0);
        var holder = Task.Run(() => cache.TrySet(new CancelKey("hold"), "v"));
        Assert.True(CancelKey.Holding.Wait(Harness.Within), "the inline write holds the shard");
        try
        {
            using var giveUp = new CancellationTokenSource();
            var queued = cache.SetAsync(new CancelKey("k1"), "v").AsTask(); // in the mailbox (its one slot)
            var cancelled = cache.SetAsync(new CancelKey("k2"), "v", giveUp.Token).AsTask(); // waits for room, counted
            var waiting = cache.SetAsync(new CancelKey("k3"), "v").AsTask(); // waits for room, counted: 3 of 3
            var heldBack = cache.SetAsync(new CancelKey("k4"), "v").AsTask(); // over the bound: waits at the gate
            await Task.Delay(200);
            Assert.False(heldBack.IsCompleted);
            Assert.Equal(0, cache.GateAdmitted);

            giveUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

            // 2 of 3 now: the held-back writer may go (it is admitted, then waits for room in the mailbox).
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (cache.GateAdmitted != 1 && DateTime.UtcNow < until)
            {
                await Task.Delay(10);
            }

            Assert.Equal(1, cache.GateAdmitted);
        }
        finally
        {
            CancelKey.Held.Set();
            store.Resume();
        }

        Assert.True(await holder.Within());
        await cache.FlushAsync().Within();
        Assert.Equal(["hold", "k1", "k3", "k4"], store.Rows.Keys.Select(k => k.Name).Order());
    }
}

/// <summary>A write waiting at the capacity gate is not overtaken by the same caller's later write of the key.</summary>
public sealed class WaitingWriteOvertakenTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NextWrite_WhileAnEarlierWriteOfTheKeyWaitsForRoom_NeverAppliedAheadOfIt(bool tell)
    {
        // The shard's loop frees room as it handles a queued write that coalesces, but tells the gate only after its
        // batch of messages. In between, the caller's next write of the key saw room and went into the mailbox, ahead
        // of its earlier write still waiting at the gate: acknowledged, then overwritten by that older value once the
        // gate let it in.
        var store = new InMemoryStore<GatedKey>();
        store.Pause();
        var options = Harness.Options(o => o with { OverflowStrategy = OverflowStrategy.Backpressure, MaxPendingEntries = 4 });
        await using var cache = new WriteBehindCache<GatedKey, string>(store, options, keyHasher: new OneShard(), jitter: () => 0.0);
        GatedKey.Open(1);
        GatedKey.Open(2);
        await cache.SetAsync(new GatedKey("x"), "1");
        await cache.SetAsync(new GatedKey("hold1"), "1"); // x and hold1 pending: 2 of 4
        GatedKey.Close(1);
        GatedKey.Close(2);

        var holder = Task.Run(() => cache.TrySet(new GatedKey("hold1"), "2")); // inline, held under the shard's lock
        Assert.True(GatedKey.Holding(1).Wait(Harness.Within), "the inline write holds the shard");
        Assert.True(cache.TrySet(new GatedKey("x"), "2")); // queued: 3 of 4
        Assert.True(cache.TrySet(new GatedKey("hold2"), "1")); // queued: 4 of 4
        var older = cache.SetAsync(new GatedKey("k"), "older").AsTask(); // over the bound: waits at the gate
        Assert.False(older.IsCompleted);

        GatedKey.Open(1); // the loop takes its mailbox: x coalesces (3 of 4), then hold2 holds it
        Assert.True(await holder.Within());
        Assert.True(GatedKey.Holding(2).Wait(Harness.Within), "the loop holds the shard");
        var newer = tell ? null : cache.SetAsync(new GatedKey("k"), "newer").AsTask();
        bool told = tell ? cache.TrySet(new GatedKey("k"), "newer") : true;
        GatedKey.Open(2);
        store.Resume();
        await older.Within();
        await (newer ?? Task.CompletedTask).Within();
        await cache.FlushAsync().Within();

        Assert.Equal(told ? "newer" : "older", await cache.GetAsync(new GatedKey("k")));
        Assert.Equal(told ? "newer" : "older", Harness.Text(store.Rows[new GatedKey("k")].Value));
    }

    /// <summary>A key whose hash code, taken inside the shard, waits while its gate is closed: "hold1" and "hold2" have one each.</summary>
    private sealed record GatedKey(string Name)
    {
        private static readonly ManualResetEventSlim[] Gates = [new(true), new(true), new(true)];

        private static readonly ManualResetEventSlim[] Held = [new(false), new(false), new(false)];

        public static void Open(int gate) => Gates[gate].Set();

        public static void Close(int gate)
        {
            Held[gate].Reset();
            Gates[gate].Reset();
        }

        public static ManualResetEventSlim Holding(int gate) => Held[gate];

        public override int GetHashCode()
        {
            int gate = Name switch { "hold1" => 1, "hold2" => 2, _ => 0 };
            if (!Gates[gate].IsSet)
            {
                Held[gate].Set();
                Gates[gate].Wait(Harness.Within);
            }

            return Name.GetHashCode(StringComparison.Ordinal);
        }

        public bool Equals(GatedKey? other) => other is not null && other.Name == Name;
    }

    private sealed class OneShard : WriteBehindAkka.Keys.IKeyHasher<GatedKey>
    {
        public ulong Hash(GatedKey key) => 0;
    }
}
