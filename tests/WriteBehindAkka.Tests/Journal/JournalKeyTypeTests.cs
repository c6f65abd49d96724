using WriteBehindAkka.Journal;
using WriteBehindAkka.Keys;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>Keys of types other than string, long, int and Guid go into the journal as JSON, and must come back whole.</summary>
public sealed class JournalKeyTypeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wb-journal-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private WriteBehindAkka.Options.WriteBehindOptions Options(string folder) => Harness.Options(o => o with
    {
        Journal = new JournalOptions { Directory = Path.Combine(_root, folder), FsyncPolicy = FsyncPolicy.Always, SegmentBytes = 64 * 1024, MaxJournalBytes = 1024 * 1024 },
    });

    private sealed class TupleHasher : IKeyHasher<(int Region, long Player)>
    {
        public ulong Hash((int Region, long Player) key) => (ulong)key.Player * 0x9E3779B97F4A7C15UL ^ (ulong)key.Region;
    }

    [Fact]
    public async Task ValueTupleKeys_AreReplayedEachUnderItsOwnKey()
    {
        var store = new InMemoryStore<(int Region, long Player)>();
        store.Pause(); // nothing reaches the store: the journal is the only copy
        var cache = new WriteBehindCache<(int Region, long Player), string>(store, Options("tuples"), keyHasher: new TupleHasher(), jitter: () => 0.0);
        for (int i = 0; i < 20; i++)
        {
            await cache.SetAsync((i % 3, 1000 + i), $"v{i}");
        }

        var crashed = Path.Combine(_root, "tuples-crashed");
        Directory.CreateDirectory(crashed);
        foreach (var file in Directory.GetFiles(Path.Combine(_root, "tuples"), "segment-*.wbj"))
        {
            File.Copy(file, Path.Combine(crashed, Path.GetFileName(file)));
        }

        var recovered = new InMemoryStore<(int Region, long Player)>();
        await using (var restarted = new WriteBehindCache<(int Region, long Player), string>(
            recovered,
            Harness.Options(o => o with { Journal = new JournalOptions { Directory = crashed, SegmentBytes = 64 * 1024, MaxJournalBytes = 1024 * 1024 } }),
            keyHasher: new TupleHasher(),
            jitter: () => 0.0))
        {
            await restarted.FlushAsync().Within();
        }

        Assert.Equal(20, recovered.Rows.Count);
        Assert.Equal("v7", Harness.Text(recovered.Rows[(1, 1007)].Value));
        store.Resume();
        await cache.DisposeAsync();
    }

    /// <summary>Value equality by a private field: System.Text.Json sees no public member and cannot build one back.</summary>
    private sealed class OpaqueKey(int id) : IEquatable<OpaqueKey>
    {
        private readonly int _id = id;

        public bool Equals(OpaqueKey? other) => other is not null && other._id == _id;

        public override bool Equals(object? obj) => Equals(obj as OpaqueKey);

        public override int GetHashCode() => _id;

        public override string ToString() => $"opaque-{_id}";
    }

    private sealed class OpaqueHasher : IKeyHasher<OpaqueKey>
    {
        public ulong Hash(OpaqueKey key) => (ulong)key.GetHashCode();
    }

    [Fact]
    public async Task AKeyTypeThatDoesNotRoundTrip_IsRefusedBeforeTheWriteIsAccepted()
    {
        var store = new InMemoryStore<OpaqueKey>();
        await using var cache = new WriteBehindCache<OpaqueKey, string>(store, Options("opaque"), keyHasher: new OpaqueHasher(), jitter: () => 0.0);

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetAsync(new OpaqueKey(1), "v").AsTask());
        Assert.Contains("The journal cannot store keys of type", error.Message);
        Assert.Throws<NotSupportedException>(() => cache.TrySet(new OpaqueKey(2), "v"));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    [Fact]
    public void AFolderThatRefusesTheKeyTypeFile_FailsTheStart_NamingTheFolderAndWhatToDo()
    {
        // The first start in a new folder writes the key-type file before any record; a disk that cannot take it (full,
        // or, as here, a folder in the way of the file's name) must fail the start with the folder named, not a bare error.
        string folder = Path.Combine(_root, "refuses");
        Directory.CreateDirectory(Path.Combine(folder, "key-type"));

        var error = Assert.Throws<IOException>(() => new WriteBehindCache<string, string>(new InMemoryStore<string>(), Options("refuses")));

        Assert.Contains($"The journal folder '{folder}' could not take the file 'key-type'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Free space on that disk, or make the folder writable", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
    }
}
