using WriteBehindAkka.Storage;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

public sealed class JournalTests : JournalTestBase
{
    /// <summary>
    /// Crashes a journal of 50 keys (plus a rewrite and a delete), lets <paramref name="damage"/> change the bytes of
    /// its segment, recovers it into a fresh store and flushes.
    /// </summary>
    private async Task<(JournalRecoveryReport Report, InMemoryStore<string> Store)> RecoverDamagedAsync(Func<byte[], byte[]> damage)
    {
        var crashed = await CrashedJournalAsync(50);
        var segment = Directory.GetFiles(crashed, "segment-*.wbj").Order().First(); // the other one is the spare made ahead of time
        File.WriteAllBytes(segment, damage(File.ReadAllBytes(segment)));
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(crashed));
        await cache.FlushAsync().Within();
        return (cache.JournalRecovery, store);
    }

    /// <summary>Where the last record of a segment starts (walking the records' lengths from the header).</summary>
    private static int LastRecordOffset(byte[] segment)
    {
        int used = UsedLength(segment), position = JournalFormat.SegmentHeaderBytes, last = position;
        while (position < used)
        {
            last = position;
            position += JournalFormat.RecordHeaderBytes + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(segment.AsSpan(position + 4));
        }

        return last;
    }

    /// <summary>The bytes before a segment's zero tail (its records; a current segment is preallocated).</summary>
    private static int UsedLength(byte[] segment) => segment.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;

    private async Task<string> CrashedJournalAsync(int keys, string name = "crashed")
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var folder = Folder("live-" + name);
        var cache = Harness.Cache(store, Options(folder));
        for (int i = 0; i < keys; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        await cache.SetAsync("k0", "latest");
        await cache.DeleteAsync("k1");
        var snapshot = SnapshotAsCrashed(folder, name);
        store.Resume();
        await cache.DisposeAsync();
        return snapshot;
    }

    [Fact]
    public async Task Shutdown_JournalFolderGoneBeforeTheClose_ReturnsTheReportAndReleasesTheFolder()
    {
        // The spare segment, the sealed ones and the current one cannot be deleted at the close (their folder was
        // removed under the cache): the shutdown still returns its report, and the journal's lock is released.
        string folder = Folder("removed");
        var store = new InMemoryStore<string>();
        var cache = Harness.Cache(store, Options(folder, FsyncPolicy.No));
        for (int i = 0; i < 20; i++)
        {
            await cache.SetAsync($"k{i}", "v");
        }

        await cache.FlushAsync().Within();
        Directory.Delete(folder, recursive: true);

        var report = await cache.ShutdownAsync().Within();

        Assert.True(report.Flushed);
        Assert.Equal(20, store.Rows.Count);
        await using var next = Harness.Cache(new InMemoryStore<string>(), Options(folder, FsyncPolicy.No)); // the folder is free again
        await next.SetAsync("again", "v");
    }

    [Fact]
    public async Task Recovery_AfterCrash_EveryAcknowledgedWriteReplayedAtItsNewestVersion()
    {
        var crashed = await CrashedJournalAsync(100);
        var store = new InMemoryStore<string>();

        await using var cache = Harness.Cache(store, Options(crashed));
        var flush = await cache.FlushAsync().Within();

        Assert.True(flush.AllCommitted);
        Assert.Equal(new JournalRecoveryReport(1, 102, 100, 0, 0, 0, []), cache.JournalRecovery with { Problems = [] });
        Assert.Equal(99, store.Rows.Count);
        Assert.Equal("latest", Harness.Text(store.Rows["k0"].Value));
        Assert.False(store.Rows.ContainsKey("k1"));
        Assert.Equal("v99", await cache.GetAsync("k99"));
    }

    [Fact]
    public async Task Recovery_AtomicUpdatesUnderAlways_AreReplayed_AndAWriteRefusedForAConflictLeftNoRecord()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var folder = Folder("live-update");
        var cache = Harness.Cache(store, Options(folder) with { ReadThrough = false });
        static string Increment(CacheLookup<string> current) => current.Found ? $"{int.Parse(current.Value!, System.Globalization.CultureInfo.InvariantCulture) + 1}" : "1";
        await cache.UpdateAsync("c", Increment).AsTask().Within();
        await cache.UpdateAsync("c", Increment).AsTask().Within();
        int calls = 0;
        var raced = await cache.UpdateAsync("c", current =>
        {
            if (++calls == 1)
            {
                cache.SetAsync("c", "100").AsTask().GetAwaiter().GetResult(); // its write is refused: the key changed
            }

            return Increment(current);
        }).AsTask().Within();
        var snapshot = SnapshotAsCrashed(folder, "crashed-update");
        store.Resume();
        await cache.DisposeAsync();

        var recovered = new InMemoryStore<string>();
        await using var next = Harness.Cache(recovered, Options(snapshot));
        await next.FlushAsync().Within();

        Assert.Equal(("101", 2), (raced.Value, raced.Attempts));
        Assert.Equal(4, next.JournalRecovery.Records); // 1, 2, 100, 101: no record of the refused write of 3
        Assert.Equal("101", Harness.Text(recovered.Rows["c"].Value));
        Assert.Equal(raced.Version, recovered.Rows["c"].Version);
    }

    [Fact]
    public async Task Recovery_NewWritesAfterReplay_GetHigherVersionsThanReplayed()
    {
        var crashed = await CrashedJournalAsync(3);
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(crashed));

        var write = await cache.SetAsync("k2", "new", WriteConsistency.Committed).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal("new", Harness.Text(store.Rows["k2"].Value));
        Assert.Equal(write.Version, store.Rows["k2"].Version);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Recovery_TornLastRecord_ReportsTornTailAndRecoversTheRest(bool fileCutShort)
    {
        var (report, store) = await RecoverDamagedAsync(bytes =>
        {
            int used = UsedLength(bytes);
            Assert.True(used < bytes.Length, "a segment that was current when the process died keeps its preallocated zeros");
            if (fileCutShort)
            {
                // A file that ends inside the last record.
                return bytes[..(used - 7)];
            }

            // The last record was still being copied into the mapped segment when the process died: its checksum,
            // written last, is not there yet, nor are the last bytes of its payload.
            bytes.AsSpan(LastRecordOffset(bytes) + 8, 4).Clear();
            bytes.AsSpan(used - 7, 7).Clear();
            return bytes;
        });

        Assert.Equal((51L, 0, 1), (report.Records, report.CorruptRegions, report.Segments));
        Assert.True(report.TornTailBytes > 7);
        Assert.Contains("hold an incomplete record, a write cut short by a crash; ignored.", Assert.Single(report.Problems));
        Assert.Equal("latest", Harness.Text(store.Rows["k0"].Value));
        Assert.True(store.Rows.ContainsKey("k1"), "the torn record was the delete of k1, so k1's earlier set stands");
    }

    [Fact]
    public async Task Recovery_DamagedLastRecordBeforeTheZeroTail_IsReportedAsDamageNotAsATornWrite()
    {
        int last = 0;
        var (report, _) = await RecoverDamagedAsync(bytes =>
        {
            last = LastRecordOffset(bytes);
            bytes.AsSpan(last, 4).Fill(0xEE); // its magic: not a record that was being copied in, which has its header
            return bytes;
        });

        Assert.Equal((51L, 1, 0L), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.EndsWith("damaged bytes from offset " + last + " to the end (bad checksum or lengths); skipped.", Assert.Single(report.Problems));
    }

    [Fact]
    public async Task Recovery_FlippedByteInTheLastCompleteRecord_IsReportedAsDamageNotAsATornWrite()
    {
        // The whole record is there, checksum included: no crash leaves that shape, so it is damage.
        int last = 0;
        var (report, store) = await RecoverDamagedAsync(bytes =>
        {
            last = LastRecordOffset(bytes);
            bytes[last + JournalFormat.RecordHeaderBytes + 2] ^= 0x5A; // inside its version
            return bytes;
        });

        Assert.Equal((51L, 1, 0L), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.EndsWith("damaged bytes from offset " + last + " to the end (bad checksum or lengths); skipped.", Assert.Single(report.Problems));
        Assert.True(store.Rows.ContainsKey("k1"), "the damaged record was the delete of k1, so k1's earlier set stands");
    }

    [Fact]
    public async Task Recovery_LastRecordWithItsChecksumButZerosAtItsEndInsideAPage_IsReportedAsDamage()
    {
        // Neither a copy cut short (the checksum is written last) nor a page that never reached the disk (the
        // segment's records all sit in its first page).
        int last = 0;
        var (report, _) = await RecoverDamagedAsync(bytes =>
        {
            int used = UsedLength(bytes);
            Assert.True(used < Environment.SystemPageSize);
            last = LastRecordOffset(bytes);
            bytes.AsSpan(used - 7, 7).Clear();
            return bytes;
        });

        Assert.Equal((51L, 1, 0L), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.EndsWith("damaged bytes from offset " + last + " to the end (bad checksum or lengths); skipped.", Assert.Single(report.Problems));
    }

    [Fact]
    public async Task Recovery_RenamedSegment_IsReplayedAndTheMismatchReported()
    {
        var crashed = await CrashedJournalAsync(5);
        var segment = Directory.GetFiles(crashed, "segment-*.wbj").Order().First();
        JournalFormat.TryParseSegmentNumber(segment, out long number);
        File.Move(segment, Path.Combine(crashed, JournalFormat.SegmentName(700)));
        var store = new InMemoryStore<string>();

        await using var cache = Harness.Cache(store, Options(crashed));
        await cache.FlushAsync().Within();

        Assert.Equal(
            $"segment-000000000700.wbj: its header names segment {number}, not 700 (the file was renamed or copied from another journal folder); its records were replayed.",
            Assert.Single(cache.JournalRecovery.Problems));
        Assert.Equal((7L, 4), (cache.JournalRecovery.Records, store.Rows.Count));
        Assert.Equal("latest", Harness.Text(store.Rows["k0"].Value));
    }

    /// <summary>
    /// A segment renamed by hand or by a tool to a name the journal does not write (the number without its zero
    /// padding, or with a sign) is still read as a segment and replayed; once its writes are committed it must go as
    /// any other replayed segment does. It stayed: truncation deleted the file of the padded name, which did not
    /// exist, so every start replayed it again and the journal never shrank.
    /// </summary>
    [Theory]
    [InlineData("segment-7.wbj")]
    [InlineData("segment-+0007.wbj")]
    public async Task Recovery_SegmentRenamedWithoutPadding_IsDeletedOnceItsWritesAreCommitted(string name)
    {
        var crashed = await CrashedJournalAsync(5, "unpadded" + name.Length);
        var segment = Directory.GetFiles(crashed, "segment-*.wbj").Order().First();
        string renamed = Path.Combine(crashed, name);
        File.Move(segment, renamed);
        var store = new InMemoryStore<string>();
        await using (var cache = Harness.Cache(store, Options(crashed)))
        {
            await cache.FlushAsync().Within();
            await TruncationsFinishedAsync(cache, 1);
            Assert.Equal((7L, 4), (cache.JournalRecovery.Records, store.Rows.Count));
            Assert.False(File.Exists(renamed), $"{name} was replayed and its writes committed, but it was not deleted");
        }

        await using var restarted = Harness.Cache(new InMemoryStore<string>(), Options(crashed));
        Assert.Equal(0L, restarted.JournalRecovery.Records);
    }

    [Fact]
    public async Task Recovery_FlippedByteInMiddle_SkipsOnlyTheDamagedRecord()
    {
        var (report, store) = await RecoverDamagedAsync(bytes =>
        {
            bytes[UsedLength(bytes) / 2] ^= 0x5A;
            return bytes;
        });

        Assert.Equal((51L, 1, 0L), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.Matches(@"^segment-\d{12}\.wbj: \d+ damaged bytes from offset \d+ \(bad checksum or lengths\); skipped, recovery resumed at offset \d+\.$", Assert.Single(report.Problems));
        Assert.Equal(48, store.Rows.Count);
    }

    [Fact]
    public async Task Recovery_EmptySegmentAndNewerFormat_EmptyIgnoredNewerLeftInPlace()
    {
        var crashed = await CrashedJournalAsync(5);
        File.WriteAllBytes(Path.Combine(crashed, JournalFormat.SegmentName(900)), []);
        var newer = JournalFormat.SegmentHeader(901);
        newer[4] = 2;
        File.WriteAllBytes(Path.Combine(crashed, JournalFormat.SegmentName(901)), newer);
        var store = new InMemoryStore<string>();

        await using (var cache = Harness.Cache(store, Options(crashed)))
        {
            await cache.FlushAsync().Within();
            var report = cache.JournalRecovery;
            Assert.Equal((3, 7L, 1), (report.Segments, report.Records, report.SkippedSegments));
            Assert.Equal(
                "segment-000000000901.wbj: format version 2 is not this library's version 1 (written by a newer WriteBehindAkka?); the file was left in place and not replayed. Open the folder with that version, or move the file away.",
                Assert.Single(report.Problems));
            Assert.EndsWith("SkippedSegments = 1, Clean = False, Problems = [" + report.Problems[0] + "] }", report.ToString(), StringComparison.Ordinal); // as the README prints it
        }

        Assert.Equal(4, store.Rows.Count);
        Assert.True(File.Exists(Path.Combine(crashed, JournalFormat.SegmentName(901))));
    }

    [Fact]
    public async Task Recovery_SegmentCutShortBeforeItsHeader_AllZeros_IsDeletedNotReportedAsSkipped()
    {
        var crashed = await CrashedJournalAsync(5);
        string halfMade = Path.Combine(crashed, JournalFormat.SegmentName(960));
        File.WriteAllBytes(halfMade, new byte[64 * 1024]); // preallocated, killed before the header was written

        await using var cache = Harness.Cache(new InMemoryStore<string>(), Options(crashed));
        await cache.FlushAsync().Within();

        Assert.Equal((1, 7L, 0, 0), (cache.JournalRecovery.Segments, cache.JournalRecovery.Records, cache.JournalRecovery.SkippedSegments, cache.JournalRecovery.Problems.Count));
        Assert.False(File.Exists(halfMade));
    }

    [Fact]
    public async Task Recovery_UnusedSpareSegment_IsDeletedNotCountedAndNotReused()
    {
        var crashed = await CrashedJournalAsync(5);
        string spare = Path.Combine(crashed, JournalFormat.SegmentName(950));
        var bytes = new byte[64 * 1024];
        JournalFormat.SegmentHeader(950).CopyTo(bytes, 0);
        File.WriteAllBytes(spare, bytes); // made ahead of time by the loop, never written to: header, then zeros
        var store = new InMemoryStore<string>();

        await using var cache = Harness.Cache(store, Options(crashed));
        await cache.FlushAsync().Within();
        await cache.SetAsync("after", "v");

        Assert.Equal((1, 7L, 0L, 0), (cache.JournalRecovery.Segments, cache.JournalRecovery.Records, cache.JournalRecovery.TornTailBytes, cache.JournalRecovery.CorruptRegions));
        Assert.False(File.Exists(spare));
        Assert.All(Directory.GetFiles(crashed, "segment-*.wbj"), f => Assert.True(JournalFormat.TryParseSegmentNumber(f, out long n) && n != 950 && (n < 5 || n > 950), f));
    }

    [Fact]
    public async Task Truncation_SteadyLoadWithCommits_JournalStaysBounded()
    {
        var store = new InMemoryStore<string>();
        var folder = Folder("steady");
        await using var cache = Harness.Cache(store, Options(folder, segmentBytes: 8 * 1024));
        long largest = 0;
        for (int i = 0; i < 20_000; i++)
        {
            await cache.SetAsync($"k{i % 500}", new string('x', 40) + i);
            if (i % 1000 == 999)
            {
                await cache.FlushAsync().Within();
                largest = Math.Max(largest, cache.Journal!.TotalBytes);
            }
        }

        await cache.FlushAsync().Within();
        await cache.SetAsync("last", "x");
        await cache.FlushAsync().Within();

        // 20,000 records of ~70 bytes are ~1.4 MB; commits let sealed segments go, so a few segments remain at most.
        Assert.InRange(largest, 1, 200 * 1024);
        Assert.InRange(Directory.GetFiles(folder, "segment-*.wbj").Length, 1, 25);
    }

    [Fact]
    public async Task Truncation_AWriteTheDeadLetterSinkRefused_IsCopiedForward_SoACrashReplaysItAndOldSegmentsStillGo()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        var folder = Folder("refused");
        await using var cache = Harness.Cache(store, Options(folder, segmentBytes: 4096));
        await cache.SetAsync("bad", "v");
        Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());

        // Fill and seal segments behind it, all committed, and let every truncation they start run to its end.
        for (int i = 0; i < 300; i++)
        {
            await cache.SetAsync($"k{i}", new string('x', 100));
        }

        await cache.FlushAsync().Within();
        await TruncationsFinishedAsync(cache, atLeast: 5);
        // A copy forward may have filled a segment: a Journaled write's fsync pass seals it (and starts its
        // truncation) first; once that truncation has run too, nothing is left to happen.
        await cache.SetAsync("fence", "x", WriteConsistency.Journaled);
        await TruncationsFinishedAsync(cache, atLeast: 5);

        // The store refused "bad" and so did the dead-letter sink: the journal holds its only durable copy.
        var recovered = new InMemoryStore<string>();
        await using (var restarted = Harness.Cache(recovered, Options(SnapshotAsCrashed(folder, "refused-crash"))))
        {
            await restarted.FlushAsync().Within();
        }

        Assert.Equal("v", Harness.Text(recovered.Rows["bad"].Value));
        // Its record was copied forward, so the old segments still went: the journal stays bounded (about 11
        // segments were filled).
        Assert.InRange(Directory.GetFiles(folder, "segment-*.wbj").Length, 1, 4);
        Assert.InRange(cache.Truncations.Started, 5, 20); // copying forward does not keep starting truncations
    }

    [Fact]
    public async Task Truncation_UnrecordedFailuresLargerThanASegment_AreCopiedOnce_NotOnEveryTruncationTheirCopyStarts()
    {
        var store = new InMemoryStore<string>();
        var bad = new[] { "bad1", "bad2", "bad3" };
        foreach (var key in bad)
        {
            store.PoisonKeys[key] = true;
        }

        store.DeadLetters.FailNext(100, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        var folder = Folder("refused-large");
        await using var cache = Harness.Cache(store, Options(folder, segmentBytes: 4096));
        foreach (var key in bad)
        {
            await cache.SetAsync(key, new string('y', 1500)); // together more than a 4 KiB segment holds
        }

        await cache.FlushAsync().Within();
        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"k{i}", new string('x', 100));
        }

        await cache.FlushAsync().Within();
        await TruncationsFinishedAsync(cache, atLeast: 2);
        await cache.SetAsync("fence", "x", WriteConsistency.Journaled);
        await TruncationsFinishedAsync(cache, atLeast: 2);

        // Copying them forward rolls a segment, whose seal starts a truncation: that one must not copy them again
        // (it did, and truncations ran for ever: thousands within the wait). About 5 segments were filled here.
        Assert.InRange(cache.Truncations.Started, 2, 40);
        var recovered = new InMemoryStore<string>();
        await using (var restarted = Harness.Cache(recovered, Options(SnapshotAsCrashed(folder, "refused-large-crash"), segmentBytes: 4096)))
        {
            await restarted.FlushAsync().Within();
        }

        Assert.All(bad, key => Assert.Equal(new string('y', 1500), Harness.Text(recovered.Rows[key].Value)));
        await cache.FlushAsync().Within();
        Assert.Equal(3, cache.GetStatistics().PendingEntries); // the three refused writes, still held
    }

    [Fact]
    public async Task Truncation_FlushItMakesForItself_LeavesTheFailuresForTheUsersFlush()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        await using var cache = Harness.Cache(store, Options(Folder("quiet"), segmentBytes: 4096));
        await cache.SetAsync("bad", "v");

        // Fill and seal segments: each seal flushes before it truncates, after "bad" has failed.
        for (int i = 0; i < 300; i++)
        {
            await cache.SetAsync($"k{i}", new string('x', 100));
        }

        await TruncationsFinishedAsync(cache, atLeast: 3);

        Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
        Assert.Equal(new FlushResult(0), await cache.FlushAsync().Within());
    }

    [Fact]
    public async Task Shutdown_Flushed_DeletesSegments_Unflushed_KeepsThemForReplay()
    {
        var flushedFolder = Folder("flushed");
        await using (var cache = Harness.Cache(new InMemoryStore<string>(), Options(flushedFolder)))
        {
            await cache.SetAsync("k", "v");
        }

        var keptFolder = Folder("kept");
        var down = new InMemoryStore<string>();
        down.Pause();
        var clock = new ManualTimeProvider();
        var stuck = Harness.Cache(down, Options(keptFolder) with { ShutdownTimeout = TimeSpan.Zero }, clock);
        await stuck.SetAsync("k", "v");
        var report = await stuck.ShutdownAsync().Within();
        var store = new InMemoryStore<string>();
        await using var next = Harness.Cache(store, Options(keptFolder));
        await next.FlushAsync().Within();

        Assert.Empty(Directory.GetFiles(flushedFolder, "segment-*.wbj"));
        Assert.False(report.Flushed);
        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task Ack_FsyncPolicies_AlwaysFsyncsBeforeAckEverySecondOnTimerJournaledForces()
    {
        var clock = new ManualTimeProvider();
        await using var always = Harness.Cache(new InMemoryStore<string>(), Options(Folder("always")), clock);
        await always.SetAsync("k", "v");
        Assert.True(always.Journal!.Fsyncs >= 1);

        await using var everySecond = Harness.Cache(new InMemoryStore<string>(), Options(Folder("every"), FsyncPolicy.EverySecond), clock);
        await everySecond.SetAsync("k", "v");
        long before = everySecond.Journal!.Fsyncs;
        await everySecond.SetAsync("k2", "v", WriteConsistency.Journaled);
        long afterJournaled = everySecond.Journal.Fsyncs;
        await everySecond.SetAsync("k3", "v");
        clock.Advance(TimeSpan.FromSeconds(1));
        using var budget = new CancellationTokenSource(Harness.Within);
        while (everySecond.Journal.Fsyncs == afterJournaled)
        {
            await Task.Delay(1, budget.Token);
        }

        Assert.Equal(0, before);
        Assert.Equal(1, afterJournaled);
    }

    [Fact]
    public async Task JournalWriteError_WriteFailsWithClearErrorInsteadOfAck()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>(), Options(Folder("broken")));
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("k", "v").AsTask().Within());
        cache.Journal.FaultInjector = null;
        await cache.SetAsync("k2", "v");

        Assert.StartsWith("The write at version ", error.Message);
        Assert.EndsWith("was not applied: its journal record could not be written (No space left on device), so it was refused. Check the free space and permissions of '" + Folder("broken") + "'.", error.Message);
    }

    [Theory]
    [InlineData(FsyncPolicy.EverySecond)]
    [InlineData(FsyncPolicy.No)]
    public async Task Ack_EverySecondAndNo_RecordIsInTheFileBeforeTheAskCompletes_WithoutAnFsync(FsyncPolicy policy)
    {
        var folder = Folder("on-write-" + policy);
        await using var cache = Harness.Cache(new InMemoryStore<string>(), Options(folder, policy, segmentBytes: 1024 * 1024), new ManualTimeProvider());
        var acked = new System.Collections.Concurrent.ConcurrentBag<(string Key, long Version)>();
        int snapshots = 0;

        // Concurrent callers, Asks and Tells mixed: as soon as an Ask completes, the file as a crash would leave it
        // (the operating system has it; nothing was fsynced) holds its record at its version.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(caller => Task.Run(async () =>
        {
            for (int i = 0; i < 40; i++)
            {
                string key = $"c{caller}-k{i % 7}";
                if (i % 3 == 0)
                {
                    Assert.True(cache.TrySet(key + "-tell", $"v{i}"));
                }

                var result = await cache.SetAsync(key, $"v{i}", WriteConsistency.Accepted);
                var read = JournalReader.Read(SnapshotAsCrashed(folder, $"snap-{Interlocked.Increment(ref snapshots)}"));
                Assert.Contains(read.Records, r => JournalKeyCodec<string>.Decode(r.Key) == key && r.Version == result.Version);
                Assert.Equal(WriteConsistency.Accepted, result.Consistency);
                acked.Add((key, result.Version));
            }
        })));

        Assert.Equal(160, acked.Count);
        Assert.Equal(0, cache.Journal!.Fsyncs);
    }

    [Fact]
    public async Task JournalWriteError_EverySecond_AskFailsTellIsRefusedThenWritesResume()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>(), Options(Folder("broken-every"), FsyncPolicy.EverySecond));
        await cache.SetAsync("warm", "v");
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("k", "v").AsTask().Within());
        bool told = cache.TrySet("t", "v");
        cache.Journal.FaultInjector = null;
        await cache.SetAsync("k2", "v");

        Assert.Contains("was not applied: its journal record could not be written (No space left on device), so it was refused", error.Message);
        Assert.False(told);
        Assert.True(cache.TrySet("t2", "v"));
    }

    [Fact]
    public async Task RetryDeadLetter_WithJournal_LetterDeletedOnlyOnceTheResubmittedWriteIsFsynced()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        var folder = Folder("retry");
        await using var cache = Harness.Cache(store, Options(folder, FsyncPolicy.EverySecond));
        var write = await cache.SetAsync("k", "v", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        store.PoisonKeys.Clear();
        long fsyncs = cache.Journal!.Fsyncs;

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        var replayed = JournalReader.Read(SnapshotAsCrashed(folder, "after-retry")).Records
            .Where(r => JournalKeyCodec<string>.Decode(r.Key) == "k")
            .ToList();

        Assert.Equal(DeadLetterRetryOutcome.Resubmitted, retry.Outcome);
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.True(cache.Journal.Fsyncs > fsyncs, "the resubmitted write was fsynced before the letter was deleted");
        Assert.Equal(2, replayed.Count); // the original write, then the resubmission at the same version
        Assert.All(replayed, r => Assert.Equal(write.Version, r.Version));
    }

    [Fact]
    public async Task RetryDeadLetter_JournalWriteFails_LetterKeptAndErrorReturned()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store, Options(Folder("retry-broken"), FsyncPolicy.EverySecond));
        await cache.SetAsync("k", "v");
        await cache.FlushAsync().Within();
        store.PoisonKeys.Clear();
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");

        await Assert.ThrowsAsync<JournalWriteException>(() => cache.RetryDeadLetterAsync("k").AsTask().Within());
        cache.Journal.FaultInjector = null;
        await cache.FlushAsync().Within();

        Assert.Equal(1, await cache.CountDeadLettersAsync());
        Assert.False(store.Rows.ContainsKey("k")); // not journaled, so not applied either, as a user's write
        Assert.Equal(WriteState.Failed, (await cache.GetStatusAsync("k")).State);
    }

    [Fact]
    public async Task FsyncError_Always_AskFailsAndTheJournalGoesOnInANewSegment()
    {
        var folder = Folder("fsync-error");
        var store = new InMemoryStore<string>();
        store.Pause(); // nothing commits, so no segment is deleted behind the test's back
        await using var cache = Harness.Cache(store, Options(folder));
        using var resume = new Resumer(store); // a failed assertion must not leave the store paused under DisposeAsync
        await cache.SetAsync("warm", "v");
        int failures = 1;
        cache.Journal!.SyncFaultInjector = () => Interlocked.Decrement(ref failures) >= 0 ? new IOException("Input/output error") : null;

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("k", "v").AsTask().Within());
        var after = await cache.SetAsync("k2", "v", WriteConsistency.Journaled).AsTask().Within();

        Assert.Contains("was applied in memory but its journal record could not be made durable (Input/output error), so it was not acknowledged; it may still reach the store", error.Message);
        Assert.Equal(WriteConsistency.Journaled, after.Consistency);
        // The segment whose fsync failed is never trusted again: the write after it went to a new segment.
        string SegmentHolding(string key) => Directory.GetFiles(folder, "segment-*.wbj").Single(file =>
        {
            var alone = Folder("alone-" + key + "-" + Path.GetFileNameWithoutExtension(file));
            Directory.CreateDirectory(alone);
            File.Copy(file, Path.Combine(alone, Path.GetFileName(file)));
            return JournalReader.Read(alone).Records.Any(r => JournalKeyCodec<string>.Decode(r.Key) == key);
        });
        Assert.NotEqual(SegmentHolding("k"), SegmentHolding("k2"));
    }

    [Fact]
    public async Task SetAsync_TokenCancelledAfterTheWaitForRoom_StillAnswersTheAcceptedWrite()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Options(Folder("cancel-after-room")) with { MaxPendingEntries = 1 });
        using var resume = new Resumer(store);
        await cache.SetAsync("first", "v");
        using var fsyncHeld = new SemaphoreSlim(0);
        using var cancel = new CancellationTokenSource();

        // Over the bound: the write waits for room, then, once posted, for its fsync (Always), which is held.
        var write = cache.SetAsync("second", "v", cancel.Token).AsTask();
        Assert.False(write.IsCompleted);
        cache.Journal!.SyncFaultInjector = () =>
        {
            fsyncHeld.Wait(Harness.Within);
            return null;
        };
        store.Resume();
        await store.ExpectBatchAsync(Harness.Within); // "first" commits: room for "second"
        while (cache.Journal.AppendedRecords < 2)
        {
            await Task.Delay(5); // until "second" is in the journal, waiting for its fsync
        }

        cancel.Cancel();
        fsyncHeld.Release(10);

        await write.Within(); // accepted: the cancellation came after the wait for room, so it does not fault the write
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.True(store.Rows.ContainsKey("second"));
    }

    [Fact]
    public async Task Restart_AfterACleanStop_OnAClockThatSteppedBack_NewWritesStillGetNewerVersionsThanTheStoredRows()
    {
        var folder = Folder("clock-back");
        var store = new InMemoryStore<string>();
        long stored;
        await using (var first = Harness.Cache(store, Options(folder, segmentBytes: 4096), new ShiftedClock(TimeSpan.Zero)))
        {
            stored = (await first.SetAsync("k", "old", WriteConsistency.Committed).AsTask().Within()).Version;
        }

        Assert.Empty(Directory.GetFiles(folder, "segment-*.wbj")); // flushed: the stop deleted every segment

        // The machine's clock is now an hour behind the version stored for "k".
        await using var second = Harness.Cache(store, Options(folder, segmentBytes: 4096), new ShiftedClock(TimeSpan.FromHours(-1)));
        var rewrite = await second.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();

        Assert.True(rewrite.Version > stored, $"version {rewrite.Version} is not newer than the stored {stored}");
        Assert.Equal("new", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task Restart_AfterACrashLoop_OnAClockThatSteppedBack_NewWritesStillGetNewerVersionsThanTheStoredRows()
    {
        var store = new InMemoryStore<string>();
        long stored;
        string crashed;
        await using (var first = Harness.Cache(store, Options(Folder("loop-1"), segmentBytes: 4096), new ShiftedClock(TimeSpan.Zero)))
        {
            stored = (await first.SetAsync("k", "old", WriteConsistency.Committed).AsTask().Within()).Version;
            crashed = SnapshotAsCrashed(Folder("loop-1"), "loop-2", withVersionMark: false); // killed before any seal left a mark
        }

        // The next run replays "k", commits it and deletes its segment, then is killed too, having written nothing.
        await using (var second = Harness.Cache(store, Options(crashed, segmentBytes: 4096), new ShiftedClock(TimeSpan.Zero)))
        {
            await second.FlushAsync().Within();
            await TruncationsFinishedAsync(second, atLeast: 1);
            crashed = SnapshotAsCrashed(crashed, "loop-3");
        }

        Assert.Empty(JournalReader.Read(crashed).Records); // "k" is no longer in the journal
        await using var third = Harness.Cache(store, Options(crashed, segmentBytes: 4096), new ShiftedClock(TimeSpan.FromHours(-1)));
        var rewrite = await third.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();

        Assert.True(rewrite.Version > stored, $"version {rewrite.Version} is not newer than the stored {stored}");
        Assert.Equal("new", Harness.Text(store.Rows["k"].Value));
    }

    /// <summary>The machine's clock, with its wall time stepped by an offset (timers and timestamps are the real ones).</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    [Fact]
    public async Task Journaled_WithoutJournal_ThrowsNamingTheOption()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var error = Assert.Throws<InvalidOperationException>(() => { _ = cache.SetAsync("k", "v", WriteConsistency.Journaled); });

        Assert.Equal("WriteConsistency.Journaled needs the journal: set WriteBehindOptions.Journal, or use Accepted or Committed.", error.Message);
    }

    [Fact]
    public async Task Open_FolderInUse_ThrowsNamingTheFix()
    {
        var folder = Folder("shared");
        await using var first = Harness.Cache(new InMemoryStore<string>(), Options(folder));

        var error = Assert.Throws<InvalidOperationException>(() => Harness.Cache(new InMemoryStore<string>(), Options(folder)));

        Assert.Equal($"The journal folder '{folder}' is in use by another cache or process. Give each cache its own JournalOptions.Directory.", error.Message);
    }

    [Fact]
    public void Open_FolderThatCannotBeCreated_ThrowsNamingTheJournalFolder()
    {
        // Bare, the error was "Could not find file '/proc/...'", with nothing about the journal.
        var folder = "/proc/writebehind-journal-" + Guid.NewGuid().ToString("N");

        var error = Assert.Throws<InvalidOperationException>(() => Harness.Cache(new InMemoryStore<string>(), Options(folder)));

        Assert.StartsWith($"The journal folder '{folder}' could not be created: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Set JournalOptions.Directory to a folder on a local, writable file system that this process may write to.", error.Message, StringComparison.Ordinal);
    }

    private sealed class Resumer(InMemoryStore<string> store) : IDisposable
    {
        public void Dispose() => store.Resume();
    }
}
