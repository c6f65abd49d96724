using WriteBehindAkka.Sharding;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>The gate writers wait at under <c>OverflowStrategy.Backpressure</c>: one freed slot, one writer; no writer stranded.</summary>
public sealed class CapacityGateTests
{
    [Fact]
    public async Task Release_OfAWriteThatAddedNothingToTheBacklog_LetsTheNextWaiterIn()
    {
        // A bound of one entry and nothing pending: the first writer is admitted; the second waits for it. The first
        // then adds nothing to the backlog (the journal refused it, or it coalesced into a pending key), so no commit
        // will come to open the gate: its release must.
        var gate = new CapacityGate();
        long pending = 0;
        bool OverBound(long admitted, long bytes) => Volatile.Read(ref pending) + admitted >= 1;
        await gate.WaitAsync(OverBound, 10, CancellationToken.None);
        var second = gate.WaitAsync(OverBound, 10, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);

        gate.Release(10);

        await second.Within();
    }

    [Fact]
    public async Task Waiters_AreLetInInTheOrderTheyCame_OneFreedSlotOneWaiter()
    {
        // Every waiter used to wake at each freed slot and race for it: a writer could lose every race and wait on
        // while later ones went in (and each slot cost a wake-up of every waiter).
        var gate = new CapacityGate();
        long pending = 5;
        bool OverBound(long admitted, long bytes) => Volatile.Read(ref pending) + admitted >= 5;
        var waiters = Enumerable.Range(0, 20).Select(_ => gate.WaitAsync(OverBound, 1, CancellationToken.None).AsTask()).ToArray();
        Assert.All(waiters, w => Assert.False(w.IsCompleted));

        for (int freed = 1; freed <= waiters.Length; freed++)
        {
            Interlocked.Decrement(ref pending);
            gate.Open();
            await waiters[freed - 1].Within();
            Assert.Equal(freed, waiters.Count(w => w.IsCompleted));
            Assert.Equal(1, gate.AdmittedEntries); // only the one just let in
            Interlocked.Increment(ref pending); // the admitted write is counted by its shard...
            gate.Release(1); // ...which ends its admission
        }
    }

    [Fact]
    public async Task ACancelledWaiterAtTheFront_LeavesItsPlaceToTheNext()
    {
        // A big write at the front holds back a small one that fits; cancelled, it must not leave the small one asleep.
        var gate = new CapacityGate();
        long pendingBytes = 90;
        bool OverBound(long admitted, long bytes) => Volatile.Read(ref pendingBytes) + bytes >= 100;
        using var cancel = new CancellationTokenSource();
        var big = gate.WaitAsync((admitted, bytes) => Volatile.Read(ref pendingBytes) + bytes + 50 >= 100, 50, cancel.Token).AsTask();
        Assert.False(big.IsCompleted);
        var small = gate.WaitAsync(OverBound, 5, CancellationToken.None).AsTask();
        Assert.False(small.IsCompleted, "it came after the big one");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big.Within());
        await small.Within();
        Assert.Equal((1L, 5L), (gate.AdmittedEntries, gate.AdmittedBytes));
        Assert.False(gate.HasWaiters);
    }
}
