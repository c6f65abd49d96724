using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.TestKit;

/// <summary>The test kit's store, as a user's test relies on it.</summary>
public sealed class InMemoryStoreTests
{
    [Fact]
    public async Task CommittedBatches_KeyRewrittenWithAValueOfTheSameLength_StillShowWhatEachBatchWrote()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);

        await cache.SetAsync("k", "v1");
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        await cache.SetAsync("k", "v2");
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);

        Assert.Equal(["v1", "v2"], store.CommittedBatches.Select(b => Harness.Text(b.Single().Value)));
        Assert.Equal("v2", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task Seed_RacingABatch_ANewerSeededRowIsNeverOverwrittenByAnOlderWrite()
    {
        // "Another process wrote a newer row" while the cache's batch applies: the version guard must keep the newer
        // row, as PostgreSQL's row lock does. Seed wrote past the batch's lock, between a record's guard and its write.
        var records = Enumerable.Range(1, 2000).Select(v => new WriteRecord<string>("k", WriteOperation.Upsert, new byte[] { 1 }, v)).ToArray();
        for (int round = 0; round < 300; round++)
        {
            var store = new InMemoryStore<string>();
            using var go = new Barrier(2);
            var writer = Task.Run(async () =>
            {
                go.SignalAndWait();
                await store.WriteBatchAsync(records, CancellationToken.None);
            });
            go.SignalAndWait();
            Thread.SpinWait(Random.Shared.Next(0, 20_000));
            store.Seed("k", [9], long.MaxValue);
            await writer.Within();

            Assert.Equal(long.MaxValue, store.Rows["k"].Version);
        }
    }

    [Fact]
    public async Task ListDeadLetters_KeyTypeNotComparable_TwoLettersFailedAtTheSameInstant_AreListed()
    {
        // Two replicas (two caches over one store) on one manual clock: each dead-letters a key at the same instant.
        // The key type has a hasher but no ordering; listing the letters threw "At least one object must implement IComparable".
        var store = new InMemoryStore<OpaqueKey>();
        var clock = new ManualTimeProvider();
        store.PoisonKeys[new OpaqueKey(1)] = true;
        store.PoisonKeys[new OpaqueKey(2)] = true;
        await using var first = new WriteBehindCache<OpaqueKey, string>(store, Harness.Options(), timeProvider: clock, keyHasher: new OpaqueKeyHasher());
        await using var second = new WriteBehindCache<OpaqueKey, string>(store, Harness.Options(), timeProvider: clock, keyHasher: new OpaqueKeyHasher());
        await first.SetAsync(new OpaqueKey(1), "a");
        await second.SetAsync(new OpaqueKey(2), "b");
        Assert.Equal(1, (await first.FlushAsync().Within()).FailedWrites);
        Assert.Equal(1, (await second.FlushAsync().Within()).FailedWrites);
        Assert.Single(store.DeadLetters.Letters.Values.Select(l => l.FailedAt).Distinct());

        var letters = await first.ListDeadLettersAsync();

        Assert.Equal([1L, 2L], letters.Select(l => l.Key.Id).Order());
    }

    /// <summary>A key type of the user's, with no ordering.</summary>
    public sealed record OpaqueKey(long Id);

    private sealed class OpaqueKeyHasher : WriteBehindAkka.Keys.IKeyHasher<OpaqueKey>
    {
        public ulong Hash(OpaqueKey key) => (ulong)key.Id * 0x9E3779B97F4A7C15UL;
    }

    [Theory]
    [InlineData(typeof(TimeoutException), StoreErrorKind.Transient)]
    [InlineData(typeof(IOException), StoreErrorKind.Transient)]
    [InlineData(typeof(OperationCanceledException), StoreErrorKind.Transient)]
    [InlineData(typeof(InvalidOperationException), StoreErrorKind.Permanent)]
    public void Classify_ClientSideErrors_AsThePostgreSqlStoreDoes(Type errorType, StoreErrorKind expected)
    {
        var store = new InMemoryStore<string>();

        Assert.Equal(expected, store.Classify((Exception)Activator.CreateInstance(errorType)!));
        Assert.Equal(expected, store.DeadLetters.Classify((Exception)Activator.CreateInstance(errorType)!));
        Assert.Equal(StoreErrorKind.Configuration, store.Classify(new SimulatedStoreException(StoreErrorKind.Configuration, "no table")));
    }

    [Fact]
    public async Task FailNext_Timeout_IsRetriedNotDeadLettered()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(1, new TimeoutException("slow"));
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { Restart = o.Restart with { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(1) } }));

        await cache.SetAsync("k", "v");
        var flush = await cache.FlushAsync().Within();

        Assert.True(flush.AllCommitted);
        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
        Assert.Equal(0, await store.DeadLetters.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SetAsync_KeysThePostgreSqlStoreRefuses_AreRefusedHereToo()
    {
        // A user's tests over this store must catch the keys production would refuse.
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var nul = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("a\0b", "v").AsTask());
        var halfPair = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("a\uD800b", "v").AsTask());

        Assert.Contains("NUL character (at index 1)", nul.Message, StringComparison.Ordinal);
        Assert.Contains("half of a UTF-16 surrogate pair", halfPair.Message, StringComparison.Ordinal);
        Assert.True(cache.TrySet("a\uD83D\uDE00b", "v")); // a whole pair is fine
    }

    [Fact]
    public async Task WriteFailed_VeryLongKey_TheMessageShowsItShortened()
    {
        var store = new InMemoryStore<string>();
        string key = new('k', 10_000);
        store.PoisonKeys[key] = true;
        await using var cache = Harness.Cache(store);

        var error = await Assert.ThrowsAsync<WriteFailedException>(() => cache.SetAsync(key, "v", WriteConsistency.Committed).AsTask().Within());

        Assert.Contains(new string('k', 200) + "...(10,000 characters)", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 1000, error.Message);
    }

    [Fact]
    public async Task FailNextLoads_AReadThroughFailsWithTheStoresErrorInside_AndTheNextReadLoadsAgain()
    {
        // A user's "database down on read" test had no way to make a load fail.
        var store = new InMemoryStore<string>();
        store.Seed("k", System.Text.Encoding.UTF8.GetBytes("\"stored\""), 1);
        store.FailNextLoads(1, new TimeoutException("read timed out"));
        await using var cache = Harness.Cache(store);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("k").AsTask());

        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal("stored", await cache.GetAsync("k"));
        Assert.Equal(2, store.LoadsOf("k"));
    }

    [Fact]
    public async Task LoadFailWhen_FailsTheLoadsOfTheKeysItNames()
    {
        var store = new InMemoryStore<string>();
        store.Seed("up", System.Text.Encoding.UTF8.GetBytes("\"u\""), 1);
        store.Seed("down", System.Text.Encoding.UTF8.GetBytes("\"d\""), 1);
        store.LoadFailWhen = key => key == "down" ? new SimulatedStoreException() : null;
        await using var cache = Harness.Cache(store);

        Assert.Equal("u", await cache.GetAsync("up"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("down").AsTask());
        Assert.IsType<SimulatedStoreException>(error.InnerException);

        store.LoadFailWhen = null;
        Assert.Equal("d", await cache.GetAsync("down"));
    }

    [Fact]
    public async Task WriteLatency_OnAManualClock_HoldsTheBatchUntilTheClockMovesPastIt()
    {
        // It waited in real time whatever clock the test ran the cache on.
        var time = new ManualTimeProvider();
        var store = new InMemoryStore<string>(time) { WriteLatency = TimeSpan.FromHours(1) };
        var write = store.WriteBatchAsync([new WriteRecord<string>("k", WriteOperation.Upsert, new byte[] { 1 }, 1)], CancellationToken.None).AsTask();

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.False(write.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        await write.Within();

        Assert.True(store.Rows.ContainsKey("k"));
    }
}
