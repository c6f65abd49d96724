using WriteBehindAkka.Benchmarks.Reads;

namespace WriteBehindAkka.Benchmarks.Tests.Reads;

/// <summary>The reference caches the hits command compares the cache with; only the second half of the reads counts.</summary>
public sealed class HitRatioTests
{
    [Fact]
    public void Lru_EvictsTheLeastRecentlyUsed_FifoTheFirstIn()
    {
        // Capacity 2. 1, 2, 1 again, then 3 (the counted half starts here): LRU evicts 2, the least recently used, and
        // FIFO evicts 1, the first in. Then 2: LRU misses (and evicts 1), FIFO hits. Then 1: both miss.
        int[] sequence = [1, 2, 1, 3, 2, 1];

        Assert.Equal(3, HitRatio.LruMisses(sequence, 2));
        Assert.Equal(2, HitRatio.FifoMisses(sequence, 2));
    }

    [Fact]
    public void EveryKeyFits_OnlyTheFirstHalfMisses_AndItIsNotCounted()
    {
        int[] sequence = [1, 2, 3, 1, 2, 3];

        Assert.Equal(0, HitRatio.LruMisses(sequence, 3));
        Assert.Equal(0, HitRatio.FifoMisses(sequence, 3));
        Assert.Equal(3, HitRatio.LruMisses(sequence, 1));
    }
}
