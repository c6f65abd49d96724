using WriteBehindAkka.Keys;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// What a caller that cancels its wait at Committed is told when it cannot be known whether the write was taken: the
/// cache began shutting down, and a write that reaches its shard after the shutdown's last flush is refused there.
/// </summary>
public sealed class CancelledWaitTests
{
    private static HeldKey<CancelledWaitTests> Key(string name) => new(name);

    [Fact]
    public async Task SetAsync_Committed_WaitCancelledAsTheShutdownRefusesTheWrite_SaysItIsNotKnownWhetherTaken()
    {
        await using var race = await ShutdownRace.StartAsync((cache, token) =>
            cache.SetAsync(Key("late"), "v", WriteConsistency.Committed, token).AsTask());

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => race.Cancelled.Within());

        Assert.Contains("not known", error.Message, StringComparison.Ordinal);
        Assert.Contains("shutting down", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("stands", error.Message, StringComparison.Ordinal);
        await race.EndAsync();
        Assert.False(race.Store.Rows.ContainsKey(Key("late")), "the write was refused");
    }

    [Fact]
    public async Task SetAsync_Committed_WaitCancelledAsTheShutdownRefusesTheWrite_LeavesNoUnobservedTaskException()
    {
        var unobserved = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        string name = $"cancelled-wait-{Guid.NewGuid():N}";
        EventHandler<UnobservedTaskExceptionEventArgs> watch = (_, args) =>
        {
            if (args.Exception.InnerExceptions.Any(error => error.Message.Contains(name, StringComparison.Ordinal)))
            {
                unobserved.Enqueue(args.Exception);
            }
        };
        TaskScheduler.UnobservedTaskException += watch;
        try
        {
            await CancelAndRefuseAsync(name); // in a method of its own, so that nothing here holds the write's answer
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.Empty(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= watch;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task CancelAndRefuseAsync(string name)
    {
        await using var race = await ShutdownRace.StartAsync(
            (cache, token) => cache.SetAsync(Key("late"), "v", WriteConsistency.Committed, token).AsTask(), name);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => race.Cancelled.Within());
        await race.EndAsync(); // the shard refuses the write: its answer, an error, has nobody waiting for it
    }

    [Fact]
    public async Task SetAsync_Committed_WaitCancelledWhileTheCacheRuns_SaysTheWriteStands_AndItIsWritten()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        store.Pause();
        using var cancel = new CancellationTokenSource();
        var write = cache.SetAsync("k", "v", WriteConsistency.Committed, cancel.Token).AsTask();
        await store.ExpectBatchAsync(Harness.Within);
        cancel.Cancel();

        var error = await Record.ExceptionAsync(() => write.Within());
        store.Resume();

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Contains("the write was made and stands", error.Message, StringComparison.Ordinal);
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal("v", Harness.Text(store.Rows["k"].Value!));
    }

    [Fact]
    public async Task UpdateAsync_Committed_WaitCancelledBeforeItsWriteIsChecked_DoesNotSayTheWriteStands()
    {
        // The update's write is queued behind a write of its key made after the update read it: when the shard takes
        // it, it is refused (the key changed), and the update would read again; its caller cancelled before that.
        HeldKey<CancelledWaitTests>.Held.Set();
        HeldKey<CancelledWaitTests>.Holding.Reset();
        var store = new InMemoryStore<HeldKey<CancelledWaitTests>>();
        await using var cache = new WriteBehindCache<HeldKey<CancelledWaitTests>, string>(
            store, Harness.Options(o => o with { ShardCount = 1 }), keyHasher: new OneShard<CancelledWaitTests>(), jitter: () => 0.0);
        await cache.SetAsync(Key("k"), "read");
        Assert.True((await cache.FlushAsync().Within()).AllCommitted); // the shard idle: the update reads and writes on this thread
        using var cancel = new CancellationTokenSource();
        Task? holder = null;
        Task<UpdateResult<string>> update;
        try
        {
            update = cache.UpdateAsync(Key("k"), _ =>
            {
                HeldKey<CancelledWaitTests>.Held.Reset();
                holder = Task.Run(() => cache.TrySet(Key("hold"), "v")); // holds the shard: what follows queues
                Assert.True(HeldKey<CancelledWaitTests>.Holding.Wait(Harness.Within), "the inline write holds the shard");
                Assert.True(cache.TrySet(Key("k"), "changed"));
                return "updated";
            }, WriteConsistency.Committed, cancel.Token).AsTask();
            cancel.Cancel();
        }
        finally
        {
            HeldKey<CancelledWaitTests>.Held.Set();
        }

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => update.Within());
        await holder!.Within();

        Assert.DoesNotContain("stands", error.Message, StringComparison.Ordinal);
        Assert.Contains("not known", error.Message, StringComparison.Ordinal);
        Assert.Equal("changed", await cache.GetAsync(Key("k")));
    }

    [Fact]
    public async Task SetManyAsync_Committed_WaitCancelledAsTheShutdownRefusesTheWrite_SaysItIsNotKnownWhetherTaken()
    {
        await using var race = await ShutdownRace.StartAsync((cache, token) =>
            cache.SetManyAsync([new(Key("late"), "v")], WriteConsistency.Committed, token).AsTask());

        var bulk = await Assert.ThrowsAsync<BulkWriteException>(() => race.Cancelled.Within());

        var failure = Assert.Single(bulk.Failures);
        var error = Assert.IsAssignableFrom<OperationCanceledException>(failure.Error);
        Assert.Contains("not known", error.Message, StringComparison.Ordinal);
        Assert.Contains("shutting down", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("stands", error.Message, StringComparison.Ordinal);
        await race.EndAsync();
        Assert.False(race.Store.Rows.ContainsKey(Key("late")), "the write was refused");
    }

    /// <summary>
    /// A write of "late" whose caller passed the cache's check, then (in the key hasher) waits while the shutdown's final
    /// flush seals the shard; the shard's loop is then held (a read-through load of "hold" completing, whose key's hash
    /// waits), the write is posted behind the flush, and its caller's token is cancelled before the shard refuses it.
    /// </summary>
    private sealed class ShutdownRace : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly HeldLoadStore _store = new();
        private readonly PausingHasher _hasher = new();
        private WriteBehindCache<HeldKey<CancelledWaitTests>, string> _cache = null!;
        private Task<string?> _read = null!;
        private Task<ShutdownReport> _shutdown = null!;

        public InMemoryStore<HeldKey<CancelledWaitTests>> Store => _store.Inner;

        public Task Cancelled { get; private set; } = null!;

        public static async Task<ShutdownRace> StartAsync(Func<WriteBehindCache<HeldKey<CancelledWaitTests>, string>, CancellationToken, Task> write, string name = "default")
        {
            var race = new ShutdownRace();
            HeldKey<CancelledWaitTests>.Held.Set();
            HeldKey<CancelledWaitTests>.Holding.Reset();
            race._cache = new WriteBehindCache<HeldKey<CancelledWaitTests>, string>(
                race._store, Harness.Options(o => o with { ShardCount = 1 }), keyHasher: race._hasher, name: name, jitter: () => 0.0);
            var cache = race._cache;

            // A write the store holds, so that the shutdown's flush waits (the shard sealed) instead of ending the loop.
            race.Store.Pause();
            await cache.SetAsync(Key("first"), "v");
            await race.Store.ExpectBatchAsync(Harness.Within);

            // A read-through load of "hold", under way.
            race._read = cache.GetAsync(Key("hold")).AsTask();
            await race._store.LoadStarted.Task.Within();

            // The write passes the cache's check, then waits in the hasher.
            var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var written = Task.Run(async () =>
            {
                var pending = write(cache, race._cancel.Token);
                posted.TrySetResult();
                await pending;
            });
            Assert.True(await race._hasher.Hashing.WaitAsync(Harness.Within), "the write reached the hasher");

            race._shutdown = cache.ShutdownAsync();
            await Harness.WaitUntilSealedAsync(cache);

            // The load's answer holds the shard's loop (the hash of "hold" waits), then the write is posted behind the flush.
            HeldKey<CancelledWaitTests>.Held.Reset();
            race._store.ReleaseLoad.TrySetResult();
            Assert.True(HeldKey<CancelledWaitTests>.Holding.Wait(Harness.Within), "the load's answer holds the shard");
            race._hasher.Release.Release();
            await posted.Task.Within();

            race._cancel.Cancel();
            race.Cancelled = written;
            return race;
        }

        /// <summary>Lets the shard go on (it refuses the write) and the shutdown end.</summary>
        public async Task EndAsync()
        {
            HeldKey<CancelledWaitTests>.Held.Set();
            Store.Resume();
            Assert.True((await _shutdown.Within()).Flushed);
            Assert.Null(await _read.Within());
        }

        public async ValueTask DisposeAsync()
        {
            HeldKey<CancelledWaitTests>.Held.Set();
            _hasher.Release.Release();
            _store.ReleaseLoad.TrySetResult();
            Store.Resume();
            await _cache.DisposeAsync();
            _cancel.Dispose();
        }
    }

    /// <summary>Routes every key to one shard; hashing "late" waits until released.</summary>
    private sealed class PausingHasher : IKeyHasher<HeldKey<CancelledWaitTests>>
    {
        public SemaphoreSlim Hashing { get; } = new(0);

        public SemaphoreSlim Release { get; } = new(0);

        public ulong Hash(HeldKey<CancelledWaitTests> key)
        {
            if (key.Name == "late")
            {
                Hashing.Release();
                Release.Wait(Harness.Within);
            }

            return 0;
        }
    }

    /// <summary>A store whose loads find no row, each answering once released (without hashing its key).</summary>
    private sealed class HeldLoadStore : IWriteBehindStore<HeldKey<CancelledWaitTests>>
    {
        public InMemoryStore<HeldKey<CancelledWaitTests>> Inner { get; } = new();

        public TaskCompletionSource LoadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseLoad { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<HeldKey<CancelledWaitTests>>> batch, CancellationToken cancellationToken) =>
            Inner.WriteBatchAsync(batch, cancellationToken);

        public async ValueTask<StoredEntry?> LoadAsync(HeldKey<CancelledWaitTests> key, CancellationToken cancellationToken)
        {
            LoadStarted.TrySetResult();
            await ReleaseLoad.Task.WaitAsync(cancellationToken);
            return null;
        }

        public StoreErrorKind Classify(Exception error) => Inner.Classify(error);
    }
}
