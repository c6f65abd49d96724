using WriteBehindAkka.Storage;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>SetManyAsync / DeleteManyAsync: many writes in order, one wait, and an error that says which were made.</summary>
public sealed class BulkWriteTests
{
    private static KeyValuePair<string, string> Pair(string key, string value) => new(key, value);

    [Fact]
    public async Task SetMany_WritesEveryPairInOrder_TheLaterValueOfARepeatedKeyWins()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 64, ShardCount = 4 }));
        var items = Enumerable.Range(0, 200).Select(i => Pair($"k{i}", $"v{i}")).Append(Pair("k7", "later")).ToList();

        var result = await cache.SetManyAsync(items).AsTask().Within();

        Harness.AssertBulk(201, WriteConsistency.Accepted, result);
        Assert.True(result.Versions[200] > result.Versions[7], "a key's later write has the newer version");
        Assert.Equal(result.Versions[200], (await cache.GetStatusAsync("k7")).Version);
        Assert.Equal("later", await cache.GetAsync("k7"));
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal(200, store.Rows.Count);
        Assert.Equal("later", Harness.Text(store.Rows["k7"].Value!));
        Assert.Equal("v199", Harness.Text(store.Rows["k199"].Value!));
    }

    [Fact]
    public async Task SetMany_ABadValue_FailsTheCallNamingItsIndex_WithNothingWritten()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        var items = new[] { Pair("a", "v"), Pair("b", "v"), Pair("c", null!), Pair("d", "v") };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetManyAsync(items).AsTask());

        Assert.Equal("items", error.ParamName);
        Assert.StartsWith("items[2]: The value of key 'c' is null.", error.Message);
        Assert.Contains("Nothing was written.", error.Message);
        Assert.DoesNotContain("(Parameter 'value')", error.Message, StringComparison.Ordinal); // the inner error's parameter is not the caller's
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("a"));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    [Fact]
    public async Task SetMany_Committed_CompletesOnceEveryWriteIsInTheStore_AndNamesARefusedRecord()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 16 }));
        var good = Enumerable.Range(0, 40).Select(i => Pair($"k{i}", "v")).ToList();

        var result = await cache.SetManyAsync(good, WriteConsistency.Committed).AsTask().Within();

        Harness.AssertBulk(40, WriteConsistency.Committed, result);
        Assert.Equal(40, store.Rows.Count); // committed when the call completed, before any flush

        var withBad = new[] { Pair("x", "v"), Pair("bad", "v"), Pair("y", "v") };
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => cache.SetManyAsync(withBad, WriteConsistency.Committed).AsTask().Within());
        Assert.Equal(3, error.Count);
        Assert.Equal(3, error.Taken);
        var failure = Assert.Single(error.Failures);
        Assert.Equal(1, failure.Index);
        Assert.IsType<WriteFailedException>(failure.Error);
        Assert.Same(failure.Error, error.InnerException);
        Assert.StartsWith("All 3 writes were handed to the cache, and 1 failed. The first, at index 1:", error.Message);
        Assert.True(store.Rows.ContainsKey("x") && store.Rows.ContainsKey("y"));
    }

    [Fact]
    public async Task SetMany_OverTheBoundWithFail_TakesTheWritesBeforeIt_AndMakesNoneAfter()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2, OverflowStrategy = OverflowStrategy.Fail }));
        var items = new[] { Pair("a", "v"), Pair("b", "v"), Pair("c", "v"), Pair("d", "v") };

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => cache.SetManyAsync(items).AsTask());

        Assert.Equal(2, error.Taken);
        var failure = Assert.Single(error.Failures);
        Assert.Equal(2, failure.Index);
        Assert.IsType<CacheOverflowException>(failure.Error);
        Assert.StartsWith("2 of 4 writes were handed to the cache; the write at index 2 was refused and the 1 after it were not made.", error.Message);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("c"));
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("d"));
        store.Resume();
        await cache.FlushAsync().Within();
        Assert.Equal(["a", "b"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task SetMany_OverTheBoundWithBackpressure_WaitsForRoom_AndNoWriteOvertakesAnEarlierOne()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2 }));
        // "c" must wait for room; "a" written again after it must not be applied before it, nor before "a"'s first.
        var items = new[] { Pair("a", "1"), Pair("b", "1"), Pair("c", "1"), Pair("a", "2") };

        var write = cache.SetManyAsync(items).AsTask();

        Assert.False(write.IsCompleted);
        Assert.Equal("1", await cache.GetAsync("a"));
        store.Resume();
        Harness.AssertBulk(4, WriteConsistency.Accepted, await write.Within());
        Assert.Equal("2", await cache.GetAsync("a"));
        await cache.FlushAsync().Within();
        Assert.Equal("2", Harness.Text(store.Rows["a"].Value!));
        Assert.Equal(["a", "b", "c"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task SetMany_CancelledWhileWaitingForRoom_SaysHowManyWereTaken()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 1 }));
        using var cancel = new CancellationTokenSource();

        var write = cache.SetManyAsync([Pair("a", "v"), Pair("b", "v"), Pair("c", "v")], cancellationToken: cancel.Token).AsTask();
        Assert.False(write.IsCompleted);
        cancel.Cancel();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => write.Within());

        // b waited for room and c in line behind it: both were taken, and the token cancelled both.
        store.Resume();
        Assert.Equal(3, error.Taken);
        Assert.Equal([1, 2], error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.IsAssignableFrom<OperationCanceledException>(f.Error));
        Assert.All(error.Failures, f => Assert.Equal("This write was cancelled while it waited for room; it was not made.", f.Error.Message));
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b"));
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("c"));
    }

    [Fact]
    public async Task SetMany_CancelledWhileWaitingForRoom_TheMessageDoesNotSayTheCancelledWritesWereMade()
    {
        // b and c count in Taken (they were in line) but were never made: the message must not say all were.
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 1 }));
        using var cancel = new CancellationTokenSource();

        var write = cache.SetManyAsync([Pair("a", "v"), Pair("b", "v"), Pair("c", "v")], cancellationToken: cancel.Token).AsTask();
        cancel.Cancel();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => write.Within());
        store.Resume();

        Assert.Equal(3, error.Taken);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b"));
        Assert.StartsWith("All 3 writes were handed to the cache, and 2 failed. The first, at index 1:", error.Message);
        Assert.DoesNotContain("were made", error.Message);
    }

    [Fact]
    public async Task SetMany_Committed_WaitCancelled_SaysTheWritesWereMadeAndStand()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store);
        using var cancel = new CancellationTokenSource();

        var write = cache.SetManyAsync([Pair("a", "v"), Pair("b", "v")], WriteConsistency.Committed, cancel.Token).AsTask();
        cancel.Cancel();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => write.Within());
        store.Resume();
        await cache.FlushAsync().Within();

        Assert.Equal([0, 1], error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.Equal("The wait for this write to be Committed was cancelled; the write was made and stands.", f.Error.Message));
        Assert.Equal(["a", "b"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task SetMany_Committed_AKeyWrittenThreeTimes_TheFirstInFlight_AnswersEveryWrite_AndTheStoreEndsAtTheLast()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        store.Pause();

        var bulk = cache.SetManyAsync([Pair("k", "a"), Pair("k", "b"), Pair("k", "c")], WriteConsistency.Committed).AsTask();
        Assert.Equal("a", Harness.Text((await store.ExpectBatchAsync(Harness.Within)).Single().Value));
        Assert.False(bulk.IsCompleted, "the writes of the key are not committed yet");
        store.Resume();
        var result = await bulk.Within();

        Harness.AssertBulk(3, WriteConsistency.Committed, result);
        Assert.True(result.Versions[0] < result.Versions[1] && result.Versions[1] < result.Versions[2]);
        Assert.Equal("c", Harness.Text(store.Rows["k"].Value!));
        Assert.Equal(result.Versions[2], store.Rows["k"].Version);
    }

    [Theory]
    [InlineData("bad", "good")]
    [InlineData("good", "bad")]
    public async Task SetMany_Committed_AKeyWrittenTwice_OneRefused_FailsOnlyThatWrite(string first, string second)
    {
        var store = new InMemoryStore<string>
        {
            FailWhen = batch => batch.Any(r => Harness.Text(r.Value) == "bad")
                ? new SimulatedStoreException(StoreErrorKind.Permanent, "refused") { Code = InMemoryStore<string>.PoisonCode }
                : null,
        };
        await using var cache = Harness.Cache(store);
        store.Pause();

        var bulk = cache.SetManyAsync([Pair("k", first), Pair("k", second)], WriteConsistency.Committed).AsTask();
        await store.ExpectBatchAsync(Harness.Within); // the first write in flight, the second waits behind it
        store.Resume();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => bulk.Within());

        var failure = Assert.Single(error.Failures);
        Assert.Equal(first == "bad" ? 0 : 1, failure.Index);
        Assert.IsType<WriteFailedException>(failure.Error);
        Assert.Equal(2, error.Taken);
        Assert.Equal("good", Harness.Text(store.Rows["k"].Value!)); // the refused write never reached the row
    }

    [Fact]
    public async Task DeleteMany_DeletesEveryKey()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetManyAsync([Pair("a", "v"), Pair("b", "v"), Pair("c", "v")], WriteConsistency.Committed).AsTask().Within();

        var result = await cache.DeleteManyAsync(["a", "c"], WriteConsistency.Committed).AsTask().Within();

        Harness.AssertBulk(2, WriteConsistency.Committed, result);
        Assert.Equal(["b"], store.Rows.Keys);
        Assert.Null(await cache.GetAsync("a"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => cache.DeleteManyAsync(["x", null!]).AsTask());
        Assert.StartsWith("keys[1]: A cache key cannot be null.", error.Message);
    }

    [Fact]
    public async Task SetMany_AfterShutdown_IsRefused()
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.ShutdownAsync().Within();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.SetManyAsync([Pair("a", "v")]).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.DeleteManyAsync(["a"]).AsTask());
    }

    [Fact]
    public async Task OneByOne_TheInterfacesOwnBulkWrite_StopsAtTheFirstFailure()
    {
        // What IWriteBehindCache's default SetManyAsync / DeleteManyAsync run for an implementation without its own.
        var made = new List<int>();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => BulkWrites.OneByOneAsync(
            [1, 2, 3, 4],
            i =>
            {
                made.Add(i);
                return i == 3 ? ValueTask.FromException<WriteResult>(new CacheOverflowException()) : ValueTask.FromResult(new WriteResult(i, WriteConsistency.Accepted));
            },
            WriteConsistency.Accepted,
            CancellationToken.None).AsTask());

        Assert.Equal([1, 2, 3], made);
        Assert.Equal(2, error.Taken);
        Assert.Equal(2, Assert.Single(error.Failures).Index);
        Harness.AssertBulk(2, WriteConsistency.Committed, await BulkWrites.OneByOneAsync(
            [1, 2], i => ValueTask.FromResult(new WriteResult(i, WriteConsistency.Committed)), WriteConsistency.Committed, CancellationToken.None));
    }
}
