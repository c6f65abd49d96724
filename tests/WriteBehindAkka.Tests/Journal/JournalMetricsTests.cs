using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>The journal's instruments: what an operator watches to see the group commit, the fsync times and failures.</summary>
public sealed class JournalMetricsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wb-journal-metrics-" + Guid.NewGuid().ToString("N"));
    private readonly string _name = "journal-metrics-" + Guid.NewGuid().ToString("N");
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, string? Operation)> _seen = new();

    public JournalMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindMetrics.MeterName && instrument.Name.StartsWith("writebehind.journal.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var folder in new[] { _folder, _folder + "-read" })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Keeps this test's cache's measurements (other tests' caches run in parallel).</summary>
    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? cache = null, operation = null;
        foreach (var tag in tags)
        {
            cache = tag.Key == "writebehind.cache" ? tag.Value as string : cache;
            operation = tag.Key == "writebehind.journal.operation" ? tag.Value as string : operation;
        }

        if (cache == _name)
        {
            _seen.Enqueue((instrument.Name, value, operation));
        }
    }

    private WriteBehindCache<string, string> Cache(FsyncPolicy policy, TimeProvider? time = null, long segmentBytes = 64 * 1024) => new(
        new InMemoryStore<string>(),
        Harness.Options(o => o with
        {
            // A manual clock never reaches a shutdown deadline: drain what can be drained at once.
            ShutdownTimeout = time is null ? o.ShutdownTimeout : TimeSpan.Zero,
            Journal = new JournalOptions { Directory = _folder, FsyncPolicy = policy, SegmentBytes = segmentBytes, MaxJournalBytes = 64 * segmentBytes },
        }),
        timeProvider: time,
        name: _name,
        jitter: () => 0.0);

    private List<double> Values(string instrument) => [.. _seen.Where(m => m.Instrument == instrument).Select(m => m.Value)];

    [Fact]
    public async Task Always_EachGroupFsyncIsTimedAndTheRecordsItCoveredAddUpToTheWrites()
    {
        await using var cache = Cache(FsyncPolicy.Always);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => cache.SetAsync($"k{i % 50}", $"v{i}").AsTask())).Within();
        for (int i = 0; i < 20; i++)
        {
            await cache.SetAsync("one-by-one", $"v{i}");
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        var durations = Values("writebehind.journal.sync.duration");
        var records = Values("writebehind.journal.sync.records");
        Assert.Equal(cache.Journal!.Fsyncs, durations.Count);
        Assert.Equal(durations.Count, records.Count);
        // In seconds, and one after another on the journal's thread: together no longer than the writes took.
        Assert.All(durations, d => Assert.True(d >= 0, $"fsync took {d} s"));
        Assert.InRange(durations.Sum(), double.Epsilon, elapsed);
        // Every write was acknowledged after the fsync that covered its record: all 220 records are counted, once.
        Assert.Equal(220, records.Sum());
        // Sequential Asks cannot share an fsync: at least one each.
        Assert.True(durations.Count >= 20, $"{durations.Count} fsyncs");
    }

    [Fact]
    public async Task SyncRecords_AfterSegmentsFilledAndSealed_CountsOnlyTheRecordsTheSealsDidNotCover()
    {
        // EverySecond on a clock that never moves: no timer fsync, so the only group fsync is the Journaled write's.
        await using var cache = Cache(FsyncPolicy.EverySecond, new ManualTimeProvider(), segmentBytes: 4096);
        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"k{i:000}", new string('x', 300)); // about 12 records a segment: 8 seals
        }

        await cache.SetAsync("k100", "x", WriteConsistency.Journaled);

        // Every full segment was sealed (fsynced) before that fsync, which covered only what the current segment holds.
        int inCurrentSegment = RecordsInNewestSegment();
        Assert.InRange(inCurrentSegment, 1, 20);
        Assert.Equal((double)inCurrentSegment, Assert.Single(Values("writebehind.journal.sync.records")));
    }

    /// <summary>Reads the newest segment that holds records (the spare made ahead of time holds none) on its own.</summary>
    private int RecordsInNewestSegment()
    {
        foreach (var segment in Directory.GetFiles(_folder, JournalFormat.SegmentPattern).OrderDescending())
        {
            var alone = Path.Combine(_folder + "-read", Path.GetFileName(segment));
            Directory.CreateDirectory(Path.GetDirectoryName(alone)!);
            File.Copy(segment, alone);
            try
            {
                int records = JournalReader.Read(Path.GetDirectoryName(alone)!).Records.Count;
                if (records > 0)
                {
                    return records;
                }
            }
            finally
            {
                File.Delete(alone);
            }
        }

        return 0;
    }

    [Fact]
    public async Task AListenerThatThrows_DoesNotFailAnFsyncThatSucceeded()
    {
        using var throwing = new MeterListener();
        throwing.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindMetrics.MeterName && instrument.Name.StartsWith("writebehind.journal.sync.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        throwing.SetMeasurementEventCallback<double>((_, _, tags, _) => ThrowIfOurs(tags));
        throwing.SetMeasurementEventCallback<int>((_, _, tags, _) => ThrowIfOurs(tags));
        throwing.Start();
        await using var cache = Cache(FsyncPolicy.Always);

        var result = await cache.SetAsync("k", "v", WriteConsistency.Journaled).AsTask().Within();

        Assert.Equal(WriteConsistency.Journaled, result.Consistency);
        Assert.DoesNotContain(_seen, m => m.Instrument == "writebehind.journal.errors");
    }

    private void ThrowIfOurs(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "writebehind.cache" && tag.Value as string == _name)
            {
                throw new InvalidOperationException("a broken exporter");
            }
        }
    }

    [Fact]
    public async Task JournalBytes_IsObservedForACacheWithAJournal()
    {
        await using var cache = Cache(FsyncPolicy.EverySecond);
        await cache.SetAsync("k", new string('x', 1000));

        _listener.RecordObservableInstruments();

        var bytes = Values("writebehind.journal.bytes");
        Assert.Single(bytes);
        Assert.Equal(cache.Journal!.TotalBytes, (long)bytes[0]);
        Assert.True(bytes[0] > 1000, $"{bytes[0]} bytes");
    }

    [Fact]
    public async Task Errors_AFailedAppendAndAFailedFsyncAreCountedByOperation()
    {
        await using var cache = Cache(FsyncPolicy.Always);
        await cache.SetAsync("warm", "v");
        cache.Journal!.FaultInjector = () => new IOException("No space left on device");
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("a", "v").AsTask().Within());
        cache.Journal.FaultInjector = null;
        int failures = 1;
        cache.Journal.SyncFaultInjector = () => Interlocked.Decrement(ref failures) >= 0 ? new IOException("Input/output error") : null;
        await Assert.ThrowsAsync<JournalWriteException>(() => cache.SetAsync("b", "v").AsTask().Within());
        await cache.SetAsync("c", "v");

        // "c" went to a new segment; the one whose fsync failed was sealed before "c" was answered, and its seal
        // reports that its records cannot be trusted to be on disk.
        var errors = _seen.Where(m => m.Instrument == "writebehind.journal.errors").ToList();
        Assert.Equal(["append", "seal", "sync"], errors.Select(e => e.Operation).Order());
        Assert.All(errors, e => Assert.Equal(1, e.Value));
    }
}
