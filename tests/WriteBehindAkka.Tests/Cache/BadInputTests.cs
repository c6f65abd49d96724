using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class BadInputTests
{
    [Fact]
    public async Task SetAsync_NullKey_ThrowsArgumentNull()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<ArgumentNullException>(() => cache.TrySet(null!, "v"));
        Assert.Equal("key", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => { _ = cache.SetAsync(null!, "v"); });
        Assert.Throws<ArgumentNullException>(() => { _ = cache.GetAsync(null!); });
    }

    [Fact]
    public async Task SetAsync_NullValue_ThrowsAndPointsToDelete()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<ArgumentNullException>(() => cache.TrySet("k", null!));

        Assert.Equal("The value of key 'k' is null. To remove a key, call DeleteAsync or TryDelete. (Parameter 'value')", error.Message);
    }

    [Fact]
    public async Task SetAsync_ValueOverMaxValueBytes_ThrowsWithSizesAndFix()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>(), Harness.Options(o => o with { MaxValueBytes = 8 }));

        var error = Assert.Throws<ArgumentException>(() => { _ = cache.SetAsync("k", "0123456789"); });

        Assert.Equal("The serialized value of key 'k' is 12 bytes; MaxValueBytes is 8. Store large objects elsewhere and cache a reference, or raise MaxValueBytes. (Parameter 'value')", error.Message);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
    }

    [Fact]
    public async Task SetAndTrySet_SerializerReturnsNull_ThrowsNamingTheSerializerAndWritesNothing()
    {
        await using var cache = new WriteBehindCache<string, string>(new InMemoryStore<string>(), Harness.Options(), new NullBytesSerializer());
        const string Message = "The serializer (NullBytesSerializer) returned null for the value of key 'k'; IValueSerializer<String>.Serialize must return the value's bytes. Nothing was written.";

        var set = await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.SetAsync("k", "v"));
        var tell = Assert.Throws<InvalidOperationException>(() => cache.TrySet("k", "v"));

        Assert.Equal((Message, Message), (set.Message, tell.Message));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    /// <summary>A custom serializer with a bug: it returns null instead of bytes.</summary>
    private sealed class NullBytesSerializer : WriteBehindAkka.Serialization.IValueSerializer<string>
    {
        public WriteBehindAkka.Serialization.SerializedFormat Format => WriteBehindAkka.Serialization.SerializedFormat.Binary;

        public byte[] Serialize(string value) => null!;

        public string Deserialize(ReadOnlySpan<byte> data) => string.Empty;
    }

    [Fact]
    public void Constructor_InvalidOptions_OneMessageListsEveryProblem()
    {
        var options = new WriteBehindOptions
        {
            ShardCount = 2,
            Parallelism = 4,
            MaxBatchSize = 0,
            MaxBatchDelay = TimeSpan.Zero,
            Restart = new RestartSettings { RandomFactor = 2 },
        };

        var error = Assert.Throws<ArgumentException>(() => new WriteBehindCache<string, string>(new InMemoryStore<string>(), options));

        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Invalid write-behind cache options:",
                "- MaxBatchSize is 0; it must be greater than zero.",
                "- Parallelism is 4 but ShardCount is 2; each writer owns at least one shard, so set Parallelism to at most ShardCount.",
                "- MaxBatchDelay is 00:00:00; it must be greater than zero.",
                "- Restart.RandomFactor is 2; it must be between 0 and 1. (Parameter 'options')",
            ]),
            error.Message);
    }

    [Fact]
    public void Constructor_KeyTypeWithoutHasher_ThrowsNotSupportedNamingTheFix()
    {
        var error = Assert.Throws<NotSupportedException>(() => new WriteBehindCache<DateTime, string>(new InMemoryStore<DateTime>()));

        Assert.Equal("There is no built-in stable hash for keys of type DateTime. Use string, long, int or Guid keys, or pass an IKeyHasher<DateTime> to the cache.", error.Message);
    }

    [Fact]
    public async Task SetAsync_UnknownConsistency_ThrowsArgumentOutOfRange()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = cache.SetAsync("k", "v", (WriteConsistency)7); });
    }
}
