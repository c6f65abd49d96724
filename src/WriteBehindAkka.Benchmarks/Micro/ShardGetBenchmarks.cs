using BenchmarkDotNet.Attributes;
using WriteBehindAkka.Options;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>
/// A read of a cached, clean key (answered on the caller's thread), with and without <c>TimeToLive</c> and
/// <c>MaxIdle</c>: what the expiry check (and, with <c>MaxIdle</c>, noting the read) costs a read hit. 100-byte values over 100,000 keys, all committed before the reads.
/// </summary>
public class ShardGetBenchmarks
{
    private const int KeySpace = 100_000;
    private const int Batch = 1000;

    private readonly byte[] _value = new byte[100];
    private WriteBehindCache<long, byte[]> _cache = null!;
    private long _next;

    /// <summary>The cache's TimeToLive in minutes (0: entries do not expire).</summary>
    [Params(0, 60)]
    public int TimeToLiveMinutes { get; set; }

    /// <summary>The cache's MaxIdle in minutes (0: no idle expiry).</summary>
    [Params(0, 60)]
    public int MaxIdleMinutes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new WriteBehindOptions { TimeToLive = TimeSpan.FromMinutes(TimeToLiveMinutes), MaxIdle = TimeSpan.FromMinutes(MaxIdleMinutes) };
        _cache = new WriteBehindCache<long, byte[]>(new NoOpStore(), options, ByteArraySerializer.Instance, name: "micro-get");
        for (long k = 0; k < KeySpace; k++)
        {
            _cache.SetAsync(k, _value).AsTask().GetAwaiter().GetResult();
        }

        _cache.FlushAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> GetCached()
    {
        int found = 0;
        for (int i = 0; i < Batch; i++)
        {
            if (await _cache.GetAsync(_next++ % KeySpace).ConfigureAwait(false) is not null)
            {
                found++;
            }
        }

        return found;
    }
}
