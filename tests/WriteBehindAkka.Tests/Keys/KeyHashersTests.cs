using WriteBehindAkka.Keys;

namespace WriteBehindAkka.Tests.Keys;

public sealed class KeyHashersTests
{
    [Fact]
    public void Hash_KnownKeys_PinnedValuesFromAnIndependentImplementation()
    {
        // Computed by a separate Python implementation of FNV-1a + the SplitMix64 finalizer. A change here would
        // move keys between shards (and between journal replays) across versions of the library.
        Assert.Equal(0xa759ea27d4727622UL, KeyHashers.For<long>().Hash(42));
        Assert.Equal(0xb4d055fcf2cbbd7bUL, KeyHashers.For<long>().Hash(-1));
        Assert.Equal(0xb4d055fcf2cbbd7bUL, KeyHashers.For<int>().Hash(-1));
        Assert.Equal(0x5a642bc7a2e3e982UL, KeyHashers.For<string>().Hash("player-1"));
        Assert.Equal(0xaa500901b39988e9UL, KeyHashers.For<Guid>().Hash(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")));
    }

    [Fact]
    public void Hash_SequentialKeys_SpreadEvenlyOverShards()
    {
        var hasher = KeyHashers.For<long>();
        var counts = new int[8];
        for (long key = 0; key < 80_000; key++)
        {
            counts[(int)Math.BigMul(hasher.Hash(key), 8UL, out _)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_000, 11_000));
    }

}
