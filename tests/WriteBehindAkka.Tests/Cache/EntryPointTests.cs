using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Every public entry point refuses bad input and use after shutdown with a message that says what to do.</summary>
public sealed class EntryPointTests
{
    private const string NullKey = "A cache key cannot be null. (Parameter 'key')";

    /// <summary>Each entry point that takes a key, called with a null key.</summary>
    public static TheoryData<string> KeyedEntryPoints =>
    [
        "SetAsync", "SetAsync(consistency)", "TrySet", "DeleteAsync", "DeleteAsync(consistency)", "TryDelete",
        "GetAsync", "TryGetAsync", "GetStatusAsync", "RetryDeadLetterAsync", "DiscardDeadLetterAsync",
    ];

    private static Action Call(IWriteBehindCache<string, string> cache, string entryPoint, string key) => entryPoint switch
    {
        "SetAsync" => () => _ = cache.SetAsync(key, "v"),
        "SetAsync(consistency)" => () => _ = cache.SetAsync(key, "v", WriteConsistency.Committed),
        "TrySet" => () => _ = cache.TrySet(key, "v"),
        "DeleteAsync" => () => _ = cache.DeleteAsync(key),
        "DeleteAsync(consistency)" => () => _ = cache.DeleteAsync(key, WriteConsistency.Committed),
        "TryDelete" => () => _ = cache.TryDelete(key),
        "GetAsync" => () => _ = cache.GetAsync(key),
        "TryGetAsync" => () => _ = cache.TryGetAsync(key),
        "GetStatusAsync" => () => _ = cache.GetStatusAsync(key),
        "RetryDeadLetterAsync" => () => _ = cache.RetryDeadLetterAsync(key),
        "DiscardDeadLetterAsync" => () => _ = cache.DiscardDeadLetterAsync(key),
        "FlushAsync" => () => _ = cache.FlushAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(entryPoint), entryPoint, "Unknown entry point."),
    };

    [Theory]
    [MemberData(nameof(KeyedEntryPoints))]
    public async Task KeyedEntryPoint_NullKey_ThrowsArgumentNullNamingTheKey(string entryPoint)
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<ArgumentNullException>(Call(cache, entryPoint, null!));

        Assert.Equal(NullKey, error.Message);
    }

    [Theory]
    [MemberData(nameof(KeyedEntryPoints))]
    [InlineData("FlushAsync")]
    public async Task EntryPoint_AfterShutdown_ThrowsObjectDisposedSayingHowToWriteAgain(string entryPoint)
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.ShutdownAsync().Within();

        var error = Assert.Throws<ObjectDisposedException>(Call(cache, entryPoint, "k"));

        Assert.Equal(
            "The write-behind cache 'default' is shut down; create a new cache (or restart the host) to write again." + Environment.NewLine + "Object name: 'WriteBehindCache`2'.",
            error.Message);
    }

    [Theory]
    [InlineData("SetAsync")]
    [InlineData("SetAsync(consistency)")]
    [InlineData("TrySet")]
    public async Task SetEntryPoint_NullValue_PointsToDelete(string entryPoint)
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());
        Action call = entryPoint switch
        {
            "SetAsync" => () => _ = cache.SetAsync("k", null!),
            "SetAsync(consistency)" => () => _ = cache.SetAsync("k", null!, WriteConsistency.Accepted),
            _ => () => _ = cache.TrySet("k", null!),
        };

        var error = Assert.Throws<ArgumentNullException>(call);

        Assert.Equal("The value of key 'k' is null. To remove a key, call DeleteAsync or TryDelete. (Parameter 'value')", error.Message);
    }

    [Fact]
    public async Task DeleteAsync_UnknownConsistency_NamesTheValidOnes()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = cache.DeleteAsync("k", (WriteConsistency)7); });

        Assert.Equal("Use WriteConsistency.Accepted, Journaled or Committed. (Parameter 'consistency')" + Environment.NewLine + "Actual value was 7.", error.Message);
    }

    [Fact]
    public void Constructor_NullStoreOrBlankName_Throws()
    {
        var store = Assert.Throws<ArgumentNullException>(() => new WriteBehindCache<string, string>(null!));
        var name = Assert.Throws<ArgumentException>(() => new WriteBehindCache<string, string>(new InMemoryStore<string>(), name: " "));

        Assert.Equal("Value cannot be null. (Parameter 'store')", store.Message);
        Assert.Equal("The value cannot be an empty string or composed entirely of whitespace. (Parameter 'name')", name.Message);
    }

    [Fact]
    public void Constructor_EveryRestartSettingWrong_OneMessageListsThemAll()
    {
        var options = new WriteBehindOptions
        {
            ShardCount = 2,
            Parallelism = 1,
            Restart = new RestartSettings { MinBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.FromSeconds(-1), RandomFactor = double.NaN, MaxRestarts = -5, MaxRestartsWithin = TimeSpan.Zero },
        };

        var error = Assert.Throws<ArgumentException>(() => new WriteBehindCache<string, string>(new InMemoryStore<string>(), options));

        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Invalid write-behind cache options:",
                "- Restart.MinBackoff is 00:00:00; it must be greater than zero.",
                "- Restart.MaxBackoff (-00:00:01) is less than Restart.MinBackoff (00:00:00).",
                "- Restart.RandomFactor is NaN; it must be between 0 and 1.",
                "- Restart.MaxRestarts is -5; use -1 for unlimited or a count of 0 or more.",
                "- Restart.MaxRestartsWithin is 00:00:00; it must be greater than zero. (Parameter 'options')",
            ]),
            error.Message);
    }

    [Theory]
    [InlineData(-1, 10, "The offset of a dead-letter page must be 0 or more. (Parameter 'offset')", "-1")]
    [InlineData(0, 0, "The limit of a dead-letter page must be between 1 and 10000; page through more with offset. (Parameter 'limit')", "0")]
    [InlineData(0, 10_001, "The limit of a dead-letter page must be between 1 and 10000; page through more with offset. (Parameter 'limit')", "10001")]
    public async Task ListDeadLettersAsync_BadPage_ThrowsSayingTheRange(int offset, int limit, string message, string actual)
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = cache.ListDeadLettersAsync(offset, limit); });

        Assert.Equal(message + Environment.NewLine + "Actual value was " + actual + ".", error.Message);
    }

    [Fact]
    public async Task DeadLetterOperations_NoDeadLetterStore_SayHowToGetOne()
    {
        await using var cache = new WriteBehindCache<string, string>(new NoDeadLetterStore(new InMemoryStore<string>()), Harness.Options());

        var list = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.ListDeadLettersAsync().AsTask());
        Assert.Throws<InvalidOperationException>(() => { _ = cache.RetryDeadLetterAsync("k"); });
        Assert.Throws<InvalidOperationException>(() => { _ = cache.DiscardDeadLetterAsync("k"); });
        Assert.Throws<InvalidOperationException>(() => { _ = cache.CountDeadLettersAsync(); });

        Assert.Equal(
            "The cache 'default' has no dead-letter store, so there are no dead letters to list, retry or discard. Pass one to the cache (the deadLetters argument), or use a store that keeps one (the PostgreSQL store keeps a dead-letter table unless its DeadLetterTable option is null).",
            list.Message);
    }

    [Fact]
    public async Task DeadLetterOperations_CallbackSink_SayItOnlyReceives()
    {
        var sink = new CallbackDeadLetterSink<string>((_, _) => ValueTask.CompletedTask);
        await using var cache = new WriteBehindCache<string, string>(new InMemoryStore<string>(), Harness.Options(), deadLetters: sink);

        var error = Assert.Throws<InvalidOperationException>(() => { _ = cache.RetryDeadLetterAsync("k"); });

        Assert.Equal(
            "The dead-letter sink of cache 'default' (CallbackDeadLetterSink`1) only receives letters; to list, retry or discard them, give the cache an IDeadLetterStore<String> instead.",
            error.Message);
    }

    [Fact]
    public void CallbackDeadLetterSink_NullCallback_Throws()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new CallbackDeadLetterSink<string>(null!));

        Assert.Equal("Value cannot be null. (Parameter 'callback')", error.Message);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_BacklogFullWithFailStrategy_ThrowsOverflowAndKeepsTheLetter()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 1, OverflowStrategy = OverflowStrategy.Fail }));
        await cache.SetAsync("bad", "v");
        await cache.FlushAsync().Within();
        store.Pause();
        await cache.SetAsync("other", "v");

        var error = await Assert.ThrowsAsync<CacheOverflowException>(() => cache.RetryDeadLetterAsync("bad").AsTask());
        store.Resume();

        Assert.Equal(
            "The write-behind cache 'default' holds 1 pending entries (3 bytes); the bound is 1 entries or 268435456 bytes. Retry the dead letter later, raise the bound, or use OverflowStrategy.Backpressure to wait.",
            error.Message);
        Assert.Single(store.DeadLetters.Letters);
    }
}
