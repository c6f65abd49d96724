using BenchmarkDotNet.Attributes;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>
/// The shard's set path on a cache over a store that commits at once: Tell (<c>TrySet</c>, falling back to an Ask
/// when the mailbox is full), one awaited Ask at a time (the round trip through the shard), one atomic update at a
/// time, and 16 concurrent callers (as in the standard suite). 100-byte values over 100,000 keys.
/// </summary>
public class ShardSetBenchmarks
{
    private const int KeySpace = 100_000;
    private const int Batch = 1000;
    private const int Callers = 16;

    private readonly byte[] _value = new byte[100];
    private WriteBehindCache<long, byte[]> _cache = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _cache = new WriteBehindCache<long, byte[]>(new NoOpStore(), serializer: ByteArraySerializer.Instance, name: "micro-set");
        for (long k = 0; k < KeySpace; k++)
        {
            _cache.SetAsync(k, _value).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task TrySet()
    {
        for (int i = 0; i < Batch; i++)
        {
            long key = _next++ % KeySpace;
            if (!_cache.TrySet(key, _value))
            {
                await _cache.SetAsync(key, _value).ConfigureAwait(false);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task SetAsyncOneAtATime()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _cache.SetAsync(_next++ % KeySpace, _value).ConfigureAwait(false);
        }
    }

    /// <summary>An atomic update at a time: the read, a copy of the value for the function, and the conditional write.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task UpdateAsyncOneAtATime()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _cache.UpdateAsync(_next++ % KeySpace, Bump).ConfigureAwait(false);
        }
    }

    private static byte[] Bump(CacheLookup<byte[]> current)
    {
        var value = current.Value!; // a copy: the serializer's Deserialize makes one
        value[0]++;
        return value;
    }

    [Benchmark(OperationsPerInvoke = Batch * Callers)]
    public Task SetAsync16Callers()
    {
        var callers = new Task[Callers];
        for (int c = 0; c < Callers; c++)
        {
            long start = (_next += Batch) % KeySpace;
            callers[c] = Task.Run(async () =>
            {
                for (int i = 0; i < Batch; i++)
                {
                    await _cache.SetAsync((start + i) % KeySpace, _value).ConfigureAwait(false);
                }
            });
        }

        return Task.WhenAll(callers);
    }
}
