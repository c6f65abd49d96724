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

        gate.Release(10, OverBound);

        await second.Within();
    }
}
