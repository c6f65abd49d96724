using WriteBehindAkka.Benchmarks.Contenders;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Options;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Benchmarks.Tests.Contenders;

public class BacklogDrainContenderTests
{
    [Fact]
    public void TargetBacklog_StaysWithinThreeQuartersOfEachBound()
    {
        var options = new WriteBehindOptions { MaxPendingEntries = 1_000_000, MaxPendingBytes = 1L << 30 };

        Assert.Equal(500_000, BacklogDrainContender.TargetBacklog(500_000, 100, options));
        Assert.Equal(750_000, BacklogDrainContender.TargetBacklog(2_000_000, 100, options));
        // 768 MiB of 4 KiB values.
        Assert.Equal(196_608, BacklogDrainContender.TargetBacklog(500_000, 4096, options));
        Assert.Equal(49_152, BacklogDrainContender.TargetBacklog(500_000, 4096, options with { MaxPendingBytes = 256L << 20 }));
    }

    [Fact]
    public void Contenders_Default_IncludeTheBacklogDrainAsItsOwnKind()
    {
        var drain = StandardSuite.Contenders().Single(c => c.Name == "write-behind, backlog drain");

        Assert.Equal(ContenderKind.Drain, drain.Kind);
    }

    [Fact]
    public async Task GatedStore_HoldsEveryBatchBackUntilOpened_ThenCommitsThemAll()
    {
        var inner = new InMemoryStore<long>();
        var store = new GatedStore<long>(inner);
        await using var cache = new WriteBehindCache<long, byte[]>(
            store,
            new WriteBehindOptions { MaxBatchDelay = TimeSpan.FromMilliseconds(1) },
            ByteArraySerializer.Instance);
        store.Close();
        for (long key = 0; key < 100; key++)
        {
            await cache.SetAsync(key, [(byte)key]);
        }

        var flush = cache.FlushAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.Held == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        // A batch reached the gate and waits there: nothing has reached the inner store, and the flush waits too.
        Assert.True(store.Held > 0);
        Assert.Equal(0, inner.Attempts);
        Assert.False(flush.IsCompleted);

        store.Open();
        var flushed = await flush.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(flushed.AllCommitted);
        Assert.Equal(0, store.Held);
        Assert.Equal(100, inner.Rows.Count);
    }

    [Fact]
    public async Task BacklogFill_BehindAClosedGate_TheDrainCommitsOneRowPerPendingEntry()
    {
        // Batches small and quick to form, so that the pipeline takes keys (and the gate holds them) while the fill
        // goes on: a key written again then would be committed twice by the drain, once as held and once as latest.
        var workload = new WorkloadSpec("uniform-5k", 5_000, 100, KeyDistribution.Uniform, 0, 0);
        var inner = new InMemoryStore<long>();
        var store = new GatedStore<long>(inner);
        var options = new WriteBehindOptions { MaxBatchSize = 100, MaxBatchDelay = TimeSpan.FromMilliseconds(1) };
        await using var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
        var ledger = new AckLedger(workload.KeyCount);
        var fill = new BacklogFill(workload, zipf: null, worker => (ulong)worker + 1, callers: 4, ledger);

        store.Close();
        long written = await fill.FillAsync(cache, target: 4_000, options, CancellationToken.None);
        long backlog = cache.GetStatistics().PendingEntries;
        store.Open();
        var flushed = await cache.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(flushed.AllCommitted);
        Assert.True(backlog >= 3_000, $"a backlog of {backlog} entries");
        Assert.Equal(backlog, written);
        Assert.Equal(backlog, inner.CommittedBatches.Sum(b => b.Count));
    }

    [Fact]
    public async Task BacklogFill_ManyCallersNearABound_StopsBeforeIt()
    {
        // A caller that looked at the backlog every 256 writes would pass the bound of 100 entries before it first
        // looked: the write over it waits for a commit the closed gate holds back, and the fill never ends.
        var workload = new WorkloadSpec("uniform-20k", 20_000, 100, KeyDistribution.Uniform, 0, 0);
        var store = new GatedStore<long>(new InMemoryStore<long>());
        var options = new WriteBehindOptions { MaxPendingEntries = 100 };
        await using var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
        var fill = new BacklogFill(workload, zipf: null, worker => (ulong)worker + 1, callers: 16, new AckLedger(workload.KeyCount));
        long target = BacklogDrainContender.TargetBacklog(500_000, workload.ValueBytes, options);

        store.Close();
        var filling = fill.FillAsync(cache, target, options, CancellationToken.None);
        var first = await Task.WhenAny(filling, Task.Delay(TimeSpan.FromSeconds(20)));
        long backlog = cache.GetStatistics().PendingEntries;
        store.Open(); // a fill stuck at the bound goes on now, so that the test ends either way
        await filling.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Same(filling, first);
        Assert.Equal(75, target);
        Assert.InRange(backlog, target, 99);
    }

    [Fact]
    public void CheckInterval_KeepsEveryCallersLastWritesWithinTheBounds()
    {
        var options = new WriteBehindOptions { MaxPendingBytes = 1L << 30 };

        Assert.Equal(256, BacklogFill.CheckInterval(500_000, 100, 16, options));
        // 1,024 callers of 4 KiB values: a quarter of 1 GiB is 65,535 values, 63 per caller.
        Assert.Equal(63, BacklogFill.CheckInterval(196_608, 4096, 1024, options));
        // 750,000 of 1,000,000 entries: 249,999 left, 244 per caller.
        Assert.Equal(244, BacklogFill.CheckInterval(750_000, 100, 1024, options));
        Assert.Equal(1, BacklogFill.CheckInterval(999_999, 100, 16, options));
    }
}
