using System.Buffers.Binary;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;
using WriteBehindAkka.Tests.Cache;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>Journal write errors (a failed append, a failed fsync of a copy) neither lose an acknowledged write nor bring back an undone one.</summary>
public sealed class JournalWriteErrorTests : JournalTestBase
{
    /// <summary>
    /// A Committed write queued behind a busy shard, its wait cancelled, then its journal append fails: the write is
    /// refused. The cancellation said "the write was made and stands", as if the journal could not refuse it.
    /// </summary>
    [Theory]
    [InlineData(WriteConsistency.Committed)]
    [InlineData(WriteConsistency.Journaled)]
    public async Task WaitCancelledBeforeTheJournalAppend_ThatThenFails_DoesNotSayTheWriteStands(WriteConsistency level)
    {
        HeldKey<JournalWriteErrorTests>.Held.Set();
        HeldKey<JournalWriteErrorTests>.Holding.Reset();
        var store = new InMemoryStore<HeldKey<JournalWriteErrorTests>>();
        await using var cache = new WriteBehindCache<HeldKey<JournalWriteErrorTests>, string>(
            store, Options(Folder("cancelled-" + level)) with { ShardCount = 1 }, keyHasher: new OneShard<JournalWriteErrorTests>(), jitter: () => 0.0);
        using var cancel = new CancellationTokenSource();
        Task<WriteResult> write;
        Task holder;
        try
        {
            HeldKey<JournalWriteErrorTests>.Held.Reset();
            holder = Task.Run(() => cache.TrySet(new("hold"), "v")); // holds the shard: the next write queues
            Assert.True(HeldKey<JournalWriteErrorTests>.Holding.Wait(Harness.Within), "the inline write holds the shard");
            cache.Journal!.FaultInjector = () => new IOException("No space left on device");
            write = cache.SetAsync(new("k"), "v", level, cancel.Token).AsTask();
            await cancel.CancelAsync();
        }
        finally
        {
            HeldKey<JournalWriteErrorTests>.Held.Set();
        }

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.Within());
        await holder.Within();

        Assert.DoesNotContain("the write was made and stands", error.Message, StringComparison.Ordinal);
        Assert.Contains("unless its journal record could not be written", error.Message, StringComparison.Ordinal);
        Assert.Null(await cache.GetAsync(new("k"))); // it was refused indeed (the read queues behind it)
    }

    /// <summary>
    /// A refused write ("bad": store and dead-letter sink refused it) is copied forward by a truncation; the copy's
    /// fsync fails, so that truncation is deferred (right). But Rejournal already set CopiedIntoSegment to the
    /// tainted segment, so the truncation started by that segment's own seal does not copy again and deletes the
    /// older segment holding the last durable copy. The only copy left is the one whose fsync failed (Linux may have
    /// dropped those pages): simulated by cutting that unsynced record from a snapshot.
    /// </summary>
    [Fact]
    public async Task CopyForwardWhoseFsyncFailed_DoesNotCountAsTheDurableCopy()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        var folder = Folder("tainted-copy");
        await using var cache = Harness.Cache(store, Options(folder, segmentBytes: 4096));
        try
        {
            await cache.SetAsync("bad", "v");
            Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within()); // unrecorded: the journal is its only durable copy

            store.Pause(); // the truncation the next seal starts waits in its flush
            for (int i = 0; i < 35; i++)
            {
                await cache.SetAsync($"k{i}", new string('x', 100)); // segment 1 fills; the last ones go to segment 2
            }

            Assert.True(cache.Truncations.Started >= 1);
            int armed = 1, failNextSync = 0;
            cache.Journal!.FaultInjector = () =>
            {
                if (Volatile.Read(ref armed) == 1)
                {
                    Volatile.Write(ref failNextSync, 1); // the copy forward is the only append now: fail its fsync
                }

                return null;
            };
            cache.Journal.SyncFaultInjector = () => Interlocked.Exchange(ref failNextSync, 0) == 1 ? new IOException("Input/output error") : null;
            store.Resume();
            await TruncationsFinishedAsync(cache, atLeast: 1);
            Volatile.Write(ref armed, 0);
            Assert.True(File.Exists(Path.Combine(folder, JournalFormat.SegmentName(1))), "deferred: segment 1 kept (correct so far)");

            await cache.SetAsync("after", "v"); // rolls away from tainted segment 2; its seal starts truncation(2)
            await TruncationsFinishedAsync(cache, atLeast: 2);
        }
        finally
        {
            store.Resume();
        }

        var crashed = SnapshotAsCrashed(folder, "tainted-copy-crash");
        var tainted = Path.Combine(crashed, JournalFormat.SegmentName(2));
        if (File.Exists(tainted)) // the segment whose fsync failed: its unsynced last record (the copy) is lost
        {
            var bytes = File.ReadAllBytes(tainted);
            int position = JournalFormat.SegmentHeaderBytes, last = position;
            while (position < bytes.Length)
            {
                last = position;
                position += JournalFormat.RecordHeaderBytes + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position + 4));
            }

            Assert.True(JournalFormat.TryReadPayload(bytes.AsSpan(last + JournalFormat.RecordHeaderBytes, position - last - JournalFormat.RecordHeaderBytes), out var copy));
            Assert.Equal("bad", JournalKeyCodec<string>.Decode(copy.Key)); // the copy whose fsync failed
            File.WriteAllBytes(tainted, bytes[..last]); // its pages never reached the disk
        }

        var recovered = new InMemoryStore<string>();
        await using (var restarted = Harness.Cache(recovered, Options(crashed, segmentBytes: 4096)))
        {
            await restarted.FlushAsync().Within();
        }

        Assert.True(
            recovered.Rows.ContainsKey("bad"),
            $"segments left: {string.Join(", ", Directory.GetFiles(folder, "segment-*.wbj").Select(Path.GetFileName))}; the refused write's last durable copy was deleted");
    }

    /// <summary>
    /// Under Always, an fsync fails while a segment fills: a record appended to that segment after the fsync began,
    /// and a record that rolled the journal to the next segment meanwhile. The fsync covered neither, but the
    /// first is in the segment whose fsync failed, and that segment's later fsync (at its seal) may report success
    /// for pages Linux dropped: its Ask must fail. The record in the new segment is fsynced there and acknowledged.
    /// </summary>
    [Fact]
    public async Task FsyncFailsWhileTheSegmentRolls_ARecordLeftInTheFailedSegmentIsNotAcknowledged_OneInTheNextIs()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("fsync-fails-at-roll"), segmentBytes: 4096));
        await cache.SetAsync("warm", "v");
        var journal = cache.Journal!;
        using var entered = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        int calls = 0;
        journal.SyncFaultInjector = () =>
        {
            if (Interlocked.Increment(ref calls) != 1)
            {
                return null;
            }

            entered.Release();
            Assert.True(release.Wait(Harness.Within), "the test never released the fsync");
            return new IOException("Input/output error");
        };

        static TaskCompletionSource<WriteResult> Reply() => new(TaskCreationOptions.RunContinuationsAsynchronously);
        var covered = Reply();
        journal.Append(WriteOperation.Upsert, 1_000_001, "covered"u8, "v"u8, covered, requireFsync: false, out long firstSegment);
        Assert.True(await entered.WaitAsync(Harness.Within), "the loop never fsynced");

        // While that fsync runs: one record more in the same segment, then one too large for what is left of it.
        var sameSegment = Reply();
        journal.Append(WriteOperation.Upsert, 1_000_002, "same"u8, "v"u8, sameSegment, requireFsync: false, out long sameSegmentNumber);
        var nextSegment = Reply();
        journal.Append(WriteOperation.Upsert, 1_000_003, "next"u8, new byte[4000], nextSegment, requireFsync: false, out long nextSegmentNumber);
        Assert.Equal(firstSegment, sameSegmentNumber);
        Assert.NotEqual(sameSegmentNumber, nextSegmentNumber);
        release.Release();

        var coveredError = await Assert.ThrowsAsync<JournalWriteException>(() => covered.Task.Within());
        var sameError = await Assert.ThrowsAsync<JournalWriteException>(() => sameSegment.Task.Within());
        var acknowledged = await nextSegment.Task.Within();

        Assert.Contains("Input/output error", coveredError.Message);
        Assert.Contains("could not be made durable", sameError.Message);
        Assert.Equal(WriteConsistency.Journaled, acknowledged.Consistency);
    }

    /// <summary>
    /// The journal's fsync fails whatever the error. FileStream.Flush(true) returns as if it had succeeded when fsync
    /// answers EROFS, EINVAL or ENOTSUP, and EROFS is what an ext4 that aborted its journal after a disk error answers
    /// (kernels before 6.6): under Always, writes whose records never reach the disk were acknowledged as durable.
    /// /dev/null answers EINVAL, which FileStream takes for success the same way.
    /// </summary>
    [Fact]
    public void Fsync_AnErrorFileStreamTakesForNothingToFlush_FailsTheJournalsFsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // elsewhere the journal uses FileStream's flush
        }

        using var file = new FileStream("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        file.Flush(flushToDisk: true); // FileStream: no error

        var error = Assert.Throws<IOException>(() => DirectorySync.SyncFile(file));

        Assert.Contains("fsync of '/dev/null' failed: Invalid argument", error.Message);
    }

    /// <summary>A folder that cannot be opened to fsync it fails the sync: a segment created in it is not used, as its name may not survive a machine crash.</summary>
    [Fact]
    public void DirectorySync_FolderThatCannotBeOpened_Fails()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // elsewhere a folder is not fsynced
        }

        var missing = Folder("never-created");

        var error = Assert.Throws<IOException>(() => DirectorySync.Sync(missing));

        Assert.Contains($"opening the folder '{missing}' to fsync it failed: No such file or directory", error.Message);
    }

    [Fact]
    public async Task DeleteWhoseAppendFailed_IsNotApplied_SoNoReplayCanUndoIt()
    {
        // The delete failed with JournalWriteException but was applied and committed; v1's record stayed in the
        // journal, and a crash before its segment was truncated replayed v1: the deleted row came back.
        var store = new InMemoryStore<string>();
        var folder = Folder("delete-error");
        await using var cache = Harness.Cache(store, Options(folder));
        await cache.SetAsync("k", "v1");
        await cache.FlushAsync().Within();
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.DeleteAsync("k").AsTask().Within());
        Assert.False(cache.TryDelete("k")); // a Tell is refused the same way
        await cache.FlushAsync().Within();

        Assert.Equal("v1", await cache.GetAsync("k")); // refused: not applied
        Assert.True(store.Rows.ContainsKey("k"));
        var crashed = SnapshotAsCrashed(folder, "delete-error-crash"); // SIGKILL now
        await using (var restarted = Harness.Cache(store, Options(crashed)))
        {
            await restarted.FlushAsync().Within();
            Assert.Equal("v1", await restarted.GetAsync("k"));
            await restarted.DeleteAsync("k"); // the disk has room again: the delete goes through
            await restarted.FlushAsync().Within();
        }

        Assert.False(store.Rows.ContainsKey("k"));
    }

    [Fact]
    public async Task WriterAdmittedAtTheBound_WhoseRecordTheJournalRefuses_DoesNotStrandTheNextWaiter()
    {
        // Two writers wait at a bound of one entry. The commit of the one pending write lets one in; its record is
        // refused, so it adds nothing to the backlog, and no commit comes to wake the other: it waited for ever.
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Options(Folder("admitted")) with { MaxPendingEntries = 1 });
        await cache.SetAsync("held", "v"); // in flight behind the paused store: the bound is reached
        var first = cache.SetAsync("a", "v").AsTask();
        var second = cache.SetAsync("b", "v").AsTask();
        Assert.False(first.IsCompleted || second.IsCompleted);
        int failures = 1;
        cache.Journal!.FaultInjector = () => Interlocked.Decrement(ref failures) >= 0 ? new IOException("No space left on device") : null;

        store.Resume();
        var outcomes = await Task.WhenAll(first.ContinueWith(t => t, TaskScheduler.Default), second.ContinueWith(t => t, TaskScheduler.Default)).Within();

        Assert.Equal(1, outcomes.Count(t => t.Exception?.InnerException is JournalWriteException));
        Assert.Equal(1, outcomes.Count(t => t.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task StartWithNoRoomForANewSegment_ReplaysTheJournal_AndTakesWritesOnceOneCanBeMade()
    {
        // After a crash on a full journal disk every start threw IOException ("No space left on device to preallocate
        // a ... journal segment") from the constructor: the replay, whose commits would free the segments' space,
        // never ran, so the service could not come back until someone freed the disk by hand. Here the segment the
        // start makes cannot be created (its name is taken by a folder); the next one can, as once space is freed.
        var folder = Folder("no-room");
        string crashed;
        await using (var cache = Harness.Cache(new InMemoryStore<string>(), Options(folder)))
        {
            await cache.SetAsync("k", "v1");
            crashed = SnapshotAsCrashed(folder, "no-room-crash");
        }

        long next = Directory.GetFiles(crashed, "segment-*.wbj").Max(path => JournalFormat.TryParseSegmentNumber(path, out long number) ? number : 0) + 1;
        Directory.CreateDirectory(Path.Combine(crashed, JournalFormat.SegmentName(next)));
        var store = new InMemoryStore<string>();
        await using var restarted = Harness.Cache(store, Options(crashed));
        var health = restarted.GetHealth();
        Assert.Equal(1, restarted.JournalRecovery.Keys);
        Assert.Equal(new FlushResult(0), await restarted.FlushAsync().Within());
        Assert.True(store.Rows.ContainsKey("k")); // replayed and committed

        Assert.Equal(CacheHealth.Degraded, health.Status);
        Assert.StartsWith($"Journal writes are failing in '{crashed}' (segment: ", health.Description, StringComparison.Ordinal);
        await restarted.SetAsync("k", "v2").AsTask().Within(); // a segment can be made now: writes are taken again
        await restarted.FlushAsync().Within();
        Assert.Equal("v2", await restarted.GetAsync("k"));
    }

    [Fact]
    public async Task JournalWritesFailingInABurst_AreLoggedOncePerInterval_WithHowManyWereLeftOut()
    {
        // Every failed journal write logged event 1012 with its stack trace: on a full disk, one error per write (some
        // 18,000 in 20 s in a drill with eight writers), flooding logs that often live on that same disk.
        var clock = new ManualTimeProvider();
        var logs = new EventRecorder();
        var options = Options(Folder("burst")) with { ShutdownTimeout = TimeSpan.Zero };
        await using var cache = new WriteBehindCache<string, string>(new InMemoryStore<string>(), options, timeProvider: clock, loggerFactory: logs, jitter: () => 0.0);
        await cache.SetAsync("warm", "v");
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");
        for (int i = 0; i < 100; i++)
        {
            await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync($"k{i}", "v").AsTask().Within());
        }

        clock.Advance(TimeSpan.FromSeconds(9));
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("within", "v").AsTask().Within());
        Assert.Single(logs.Messages(1012));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("after", "v").AsTask().Within());

        var logged = logs.Messages(1012);
        Assert.Equal(2, logged.Count);
        Assert.EndsWith("Logged at most once every 10 s: 100 more journal failures since the previous report were not logged (writebehind.journal.errors counts each).", logged[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task JournalWritesFailing_HealthIsDegradedNamingTheJournal_UntilAMinuteWithoutFailure()
    {
        // About a thousand Asks failed with JournalWriteException while health said "Writing normally".
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(new InMemoryStore<string>(), Options(Folder("failing")), clock);
        await cache.SetAsync("warm", "v");
        cache.Journal!.FaultInjector = () => new IOException("Permission denied");
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("k", "v").AsTask().Within());

        var failing = cache.GetHealth();
        clock.Advance(TimeSpan.FromSeconds(61));
        var later = cache.GetHealth();

        Assert.Equal(CacheHealth.Degraded, failing.Status);
        Assert.StartsWith($"Journal writes are failing in '{Folder("failing")}' (append: Permission denied;", failing.Description, StringComparison.Ordinal);
        Assert.Equal(CacheHealth.Healthy, later.Status);
    }

    private sealed class EventRecorder : Microsoft.Extensions.Logging.ILoggerFactory
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(int EventId, string Message)> _events = new();

        public List<string> Messages(int eventId) => [.. _events.Where(e => e.EventId == eventId).Select(e => e.Message)];

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Recorder(_events);

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Recorder(System.Collections.Concurrent.ConcurrentQueue<(int EventId, string Message)> events) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                events.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
