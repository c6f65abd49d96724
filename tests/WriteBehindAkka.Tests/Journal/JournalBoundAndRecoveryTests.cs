using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>The journal's bound clears by itself once the data is committed, and a recovery that throws leaves the folder usable.</summary>
public sealed class JournalBoundAndRecoveryTests : JournalTestBase
{
    /// <summary>
    /// A record larger than MaxJournalBytes (legal: SegmentBytes 4096, MaxJournalBytes 8192, a 10 kB value) gets a
    /// segment of its own. Appends seal a segment only when they roll, and the bound holds them back: the journal
    /// seals that segment itself, so once the record is committed its segment goes and later writes resume.
    /// </summary>
    [Fact]
    public async Task RecordLargerThanTheJournalBound_WritesAfterItResumeOnceItCommits()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("big"), segmentBytes: 4096, maxJournalBytes: 8192));
        await cache.SetAsync("big", new string('x', 10_000));
        await cache.FlushAsync().Within(); // committed

        await cache.SetAsync("small", "v").AsTask().Within(); // waits on the bound until the big record's segment is deleted
        await cache.FlushAsync().Within();
        Assert.True(store.Rows.ContainsKey("small"));
        Assert.True(cache.Journal!.TotalBytes < 8192, $"journal bytes: {cache.Journal.TotalBytes}");
    }

    /// <summary>
    /// A truncation deferred because the copy forward of a refused write failed (event 1013) is tried again while the
    /// journal is over its bound: with the bound reached no append rolls a segment, so no later seal would.
    /// </summary>
    [Fact]
    public async Task TruncationDeferredOverTheBound_IsRetried()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        await using var cache = Harness.Cache(store, Options(Folder("deferred"), segmentBytes: 4096, maxJournalBytes: 8192));
        try
        {
            await cache.SetAsync("bad", "v");
            Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within()); // unrecorded: the journal is its only durable copy

            store.Pause(); // the truncations the seals start wait in their flush
            int i = 0;
            while (!cache.IsAtBound)
            {
                await cache.SetAsync($"k{i++}", new string('x', 100)).AsTask().Within();
            }

            Assert.True(cache.Truncations.Started >= 1);
            cache.Journal!.FaultInjector = () => new IOException("No space left on device"); // the copies forward fail
            store.Resume();
            await TruncationsFinishedAsync(cache, atLeast: 1);
            Assert.True(cache.IsAtBound, "every truncation was deferred: the journal stays over its bound");
            cache.Journal.FaultInjector = null;

            await cache.SetAsync("after", "v").AsTask().Within(); // waits on the bound until a retried truncation frees it
            await cache.FlushAsync().Within();
            Assert.True(store.Rows.ContainsKey("after"));
        }
        finally
        {
            store.Resume();
        }
    }

    /// <summary>
    /// Recovery that throws after the journal is open (here: the key type changed from string to long, so a
    /// replayed 2-byte key cannot be read as a long) must release the folder: the lock, the loop thread and the
    /// segment the failed start created go, so that the cache built again in the same process with its former key
    /// type opens the folder and replays the write.
    /// </summary>
    [Fact]
    public async Task RecoveryThatThrows_ReleasesTheFolder()
    {
        var folder = Folder("key-type");
        var store = new InMemoryStore<string>();
        store.Pause();
        var first = Harness.Cache(store, Options(folder));
        await first.SetAsync("ab", "v");
        var crashed = SnapshotAsCrashed(folder, "key-type-crash");
        store.Resume();
        await first.DisposeAsync();
        var segments = Directory.GetFiles(crashed, "segment-*.wbj");

        var error = Assert.Throws<InvalidOperationException>(() => new WriteBehindCache<long, string>(new InMemoryStore<long>(), Options(crashed)));
        Assert.Contains(crashed, error.Message);
        Assert.Contains(typeof(long).ToString(), error.Message);
        var left = Directory.GetFiles(crashed, "segment-*.wbj");
        Assert.Subset(segments.ToHashSet(), left.ToHashSet()); // the failed start's own segments are gone (it deleted the unused spare, as any start does)
        Assert.Contains(Path.Combine(crashed, JournalFormat.SegmentName(1)), left); // the one holding the write stays

        var recovered = new InMemoryStore<string>();
        await using (var again = Harness.Cache(recovered, Options(crashed))) // the folder is free again
        {
            await again.FlushAsync().Within();
        }

        Assert.Equal("v", Harness.Text(recovered.Rows["ab"].Value));
    }

    /// <summary>
    /// A journal written with long keys, read by a cache whose key type became int: the key 2^32 + 5 must not be
    /// replayed as 5 (the first four bytes); the start fails, naming the folder and the key type.
    /// </summary>
    [Fact]
    public async Task KeyTypeChangedFromLongToInt_FailsTheStartInsteadOfReplayingAnotherKey()
    {
        var folder = Folder("long-keys");
        var store = new InMemoryStore<long>();
        store.Pause();
        var first = new WriteBehindCache<long, string>(store, Options(folder), jitter: () => 0.0);
        await first.SetAsync((1L << 32) + 5, "v");
        var crashed = SnapshotAsCrashed(folder, "long-keys-crash");
        store.Resume();
        await first.DisposeAsync();

        var recovered = new InMemoryStore<int>();
        var error = Assert.Throws<InvalidOperationException>(() => new WriteBehindCache<int, string>(recovered, Options(crashed), jitter: () => 0.0));
        Assert.Contains(crashed, error.Message);
        Assert.Contains(typeof(int).ToString(), error.Message);
        Assert.Empty(recovered.Rows);
    }

    [Fact]
    public async Task KeyTypeChangedFromStringToLong_WithKeysOfEightBytes_FailsTheStartInsteadOfReplayingOtherKeys()
    {
        // "user0000" is eight bytes, as a long is: the layouts cannot tell them apart, and twenty acknowledged writes
        // were committed under keys such as 3472328297338467189. The folder names the key type its records have.
        var folder = Folder("string-keys");
        var store = new InMemoryStore<string>();
        store.Pause();
        var first = Harness.Cache(store, Options(folder));
        for (int i = 0; i < 20; i++)
        {
            await first.SetAsync($"user{i:0000}", "v");
        }

        var crashed = SnapshotAsCrashed(folder, "string-keys-crash");
        store.Resume();
        await first.DisposeAsync();

        var recovered = new InMemoryStore<long>();
        var error = Assert.Throws<InvalidOperationException>(() => new WriteBehindCache<long, string>(recovered, Options(crashed), jitter: () => 0.0));
        Assert.Contains($"holds writes of a cache whose keys were {typeof(string)}, and this cache's keys are {typeof(long)}", error.Message, StringComparison.Ordinal);
        Assert.Empty(recovered.Rows);

        var again = new InMemoryStore<string>();
        await using (var cache = Harness.Cache(again, Options(crashed))) // the former key type still replays them
        {
            await cache.FlushAsync().Within();
        }

        Assert.Equal(20, again.Rows.Count);
    }

    [Fact]
    public async Task JournalAtItsBound_TheOverflowAndTheHealthNameTheJournal()
    {
        // Both blamed the pending bound (500 of 1,000,000 entries), so an operator would raise the wrong setting.
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Options(Folder("full"), segmentBytes: 4096, maxJournalBytes: 8192) with { OverflowStrategy = OverflowStrategy.Fail });
        int written = 0;
        while (cache.TrySet($"k{written}", new string('x', 100)))
        {
            written++;
        }

        var error = await Assert.ThrowsAsync<CacheOverflowException>(() => cache.SetAsync("one-more", "v").AsTask());
        var health = cache.GetHealth();
        store.Resume();

        Assert.Contains("its journal holds", error.Message, StringComparison.Ordinal);
        Assert.Contains("its MaxJournalBytes of 8192", error.Message, StringComparison.Ordinal);
        Assert.Equal(CacheHealth.Degraded, health.Status);
        Assert.StartsWith("The journal is at its bound (", health.Description, StringComparison.Ordinal);
    }

    /// <summary>The system clock, shifted: a restart on a clock that stepped back.</summary>
    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    /// <summary>
    /// The highest-version mark cannot be written (a folder stands where its temporary file goes, so every write of
    /// it fails). The segments are then the only record of the versions handed out: neither truncation nor a clean
    /// stop may delete them, or a restart on a clock that stepped back gives new writes versions below the rows
    /// already stored, and the store's version guard drops them silently.
    /// </summary>
    [Fact]
    public async Task MarkThatCannotBeWritten_KeepsTheSegmentsItWouldStandFor()
    {
        var folder = Folder("mark");
        var blocker = Path.Combine(folder, WriteAheadJournal.HighestVersionFile + ".tmp");
        Directory.CreateDirectory(blocker);
        var store = new InMemoryStore<string>();
        long last = 0;
        await using (var cache = Harness.Cache(store, Options(folder, segmentBytes: 4096)))
        {
            for (int i = 0; i < 40; i++)
            {
                last = (await cache.SetAsync($"k{i}", new string('x', 100), WriteConsistency.Journaled)).Version; // segment 1 fills and is sealed
            }

            await cache.FlushAsync().Within();
            await TruncationsFinishedAsync(cache, atLeast: 1);
            Assert.True(File.Exists(Path.Combine(folder, JournalFormat.SegmentName(1))), "truncation deleted a segment the mark does not cover");
        }

        // A clean stop with everything committed: the segments stay all the same.
        Assert.NotEmpty(Directory.GetFiles(folder, "segment-*.wbj"));
        Directory.Delete(blocker);

        await using (var restarted = new WriteBehindCache<string, string>(store, Options(folder, segmentBytes: 4096), timeProvider: new ShiftedTime(TimeSpan.FromDays(-1)), jitter: () => 0.0))
        {
            Assert.True(restarted.Journal!.HighestVersionAtOpen >= last, $"highest version at open {restarted.Journal.HighestVersionAtOpen}, last acknowledged {last}");
            await restarted.SetAsync("k0", "new");
            await restarted.FlushAsync().Within();
        }

        Assert.Equal("new", Harness.Text(store.Rows["k0"].Value));
    }
}

/// <summary>Where the journal is: resolved once at start and logged, since a restart replays only that folder.</summary>
public sealed class JournalFolderTests : JournalTestBase
{
    [Fact]
    public async Task RelativeDirectory_IsResolvedAtStartAndLogged_SoARestartFromAnotherFolderShows()
    {
        // A relative folder is resolved against the working directory: a service restarted from elsewhere replayed
        // nothing, and no log line said which folder it had opened.
        var folder = Folder("relative");
        Directory.CreateDirectory(folder);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, folder);
        Assert.False(Path.IsPathRooted(relative));
        var logs = new RecordingLoggerFactory();
        var store = new InMemoryStore<string>();

        await using (var cache = new WriteBehindCache<string, string>(store, Options(relative), loggerFactory: logs, jitter: () => 0.0))
        {
            await cache.SetAsync("k", "v");
        }

        Assert.Contains(logs.Messages, m => m == $"Cache 'default': journal opened in '{Path.GetFullPath(folder)}' (fsync policy Always); a restart replays what it holds only from this folder.");
    }

    [Fact]
    public void DirectoryWithANulCharacter_IsAConfigurationError()
    {
        var error = Assert.Throws<ArgumentException>(() => new WriteBehindCache<string, string>(new InMemoryStore<string>(), Options("a\0b")));
        Assert.Contains("Journal.Directory contains a NUL character", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Messages { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Recorder(Messages);

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Recorder(System.Collections.Concurrent.ConcurrentQueue<string> messages) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
