using System.Diagnostics.Metrics;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>A broken metrics exporter is the exporter's problem: the cache's writes, commits and loops carry on.</summary>
public sealed class ThrowingMeterListenerTests : IDisposable
{
    private readonly string _name = "throwing-listener-" + Guid.NewGuid().ToString("N");
    private readonly MeterListener _listener = new();
    private int _thrown;

    public ThrowingMeterListenerTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) => ThrowIfOurs(tags));
        _listener.SetMeasurementEventCallback<int>((_, _, tags, _) => ThrowIfOurs(tags));
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) => ThrowIfOurs(tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Throws for this test's cache only (other tests' caches run in parallel).</summary>
    private void ThrowIfOurs(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "writebehind.cache" && tag.Value as string == _name)
            {
                Interlocked.Increment(ref _thrown);
                throw new InvalidOperationException("a broken exporter");
            }
        }
    }

    [Fact]
    public async Task WritesCommitsAndCoalescing_AllCarryOn_NothingDeadLettered()
    {
        var store = new InMemoryStore<string>();
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { MaxBatchSize = 16 }), name: _name, jitter: () => 0.0);

        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"k{i % 40}", $"v{i}");
            Assert.True(cache.TrySet($"t{i % 10}", $"v{i}"));
        }

        var flushed = await cache.FlushAsync().Within();

        Assert.True(flushed.AllCommitted);
        Assert.Equal(50, store.Rows.Count);
        Assert.Equal("v99", Harness.Text(store.Rows["k19"].Value));
        Assert.Empty(store.DeadLetters.Letters);
        var statistics = cache.GetStatistics();
        Assert.Equal(0, statistics.ShardRestarts);
        Assert.Equal(0, statistics.WriterRestarts);
        Assert.True(Volatile.Read(ref _thrown) > 100, $"the listener threw {_thrown} times");
    }
}
