using BenchmarkDotNet.Attributes;
using WriteBehindAkka.Keys;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>Key routing: the stable hash of each built-in key type, and the shard choice of the cache.</summary>
public class KeyRoutingBenchmarks
{
    private const int Keys = 1024;

    private readonly IKeyHasher<long> _longHasher = KeyHashers.For<long>();
    private readonly IKeyHasher<string> _stringHasher = KeyHashers.For<string>();
    private readonly IKeyHasher<Guid> _guidHasher = KeyHashers.For<Guid>();
    private readonly string[] _strings = Enumerable.Range(0, Keys).Select(i => $"player:{i * 7919}").ToArray();
    private readonly Guid[] _guids = Enumerable.Range(0, Keys).Select(_ => Guid.NewGuid()).ToArray();
    private WriteBehindCache<long, byte[]> _cache = null!;

    [GlobalSetup]
    public void Setup() => _cache = new WriteBehindCache<long, byte[]>(new NoOpStore(), serializer: Serialization.ByteArraySerializer.Instance, name: "micro-routing");

    [GlobalCleanup]
    public void Cleanup() => _cache.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong HashLong()
    {
        ulong sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            sum += _longHasher.Hash(i);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong HashString()
    {
        ulong sum = 0;
        foreach (var s in _strings)
        {
            sum += _stringHasher.Hash(s);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong HashGuid()
    {
        ulong sum = 0;
        foreach (var g in _guids)
        {
            sum += _guidHasher.Hash(g);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ShardOfLong()
    {
        int sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            sum += _cache.ShardOf(i);
        }

        return sum;
    }
}
