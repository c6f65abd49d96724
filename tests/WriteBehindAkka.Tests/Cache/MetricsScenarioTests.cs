using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>What the instruments report, per cache, against what happened.</summary>
public sealed class MetricsScenarioTests : IDisposable
{
    private readonly string _a = "metrics-a-" + Guid.NewGuid().ToString("N");
    private readonly string _b = "metrics-b-" + Guid.NewGuid().ToString("N");
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Cache, string Extra), double> _sums = new();
    private readonly ConcurrentDictionary<(string Instrument, string Cache), double> _observed = new();

    public MetricsScenarioTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => On(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => On(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => On(i, v, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    private void On(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? cache = null;
        string extra = string.Empty;
        foreach (var tag in tags)
        {
            if (tag.Key == "writebehind.cache")
            {
                cache = tag.Value as string;
            }
            else
            {
                extra += tag.Key + "=" + tag.Value;
            }
        }

        if (cache != _a && cache != _b)
        {
            return;
        }

        if (instrument.IsObservable)
        {
            _observed[(instrument.Name, cache)] = value;
        }
        else if (instrument is Histogram<double> or Histogram<int>)
        {
            _sums.AddOrUpdate((instrument.Name + "#count", cache, extra), 1, (_, s) => s + 1);
        }
        else
        {
            _sums.AddOrUpdate((instrument.Name, cache, extra), value, (_, s) => s + value);
        }
    }

    private double Sum(string instrument, string cache, string extra = "") => _sums.GetValueOrDefault((instrument, cache, extra));

    private string Dump() => string.Join("\n", _sums.OrderBy(p => p.Key.ToString()).Select(p => $"{p.Key} = {p.Value}")) + "\n--\n" + string.Join("\n", _observed.Select(p => $"{p.Key} = {p.Value}"));

    [Fact]
    public async Task TwoCaches_FaultsAndDispose_EachCacheCountsItsOwn()
    {
        var storeA = new InMemoryStore<string>();
        var storeB = new InMemoryStore<string>();
        var a = new WriteBehindCache<string, string>(storeA, Harness.Options(), name: _a, jitter: () => 0.0);
        var b = new WriteBehindCache<string, string>(storeB, Harness.Options(), name: _b, jitter: () => 0.0);

        for (int i = 0; i < 10; i++)
        {
            await a.SetAsync($"k{i}", "v");
        }

        await a.FlushAsync().Within();
        storeB.FailNext(2);
        await b.SetAsync("x", "v");
        await b.FlushAsync().Within();
        storeB.PoisonKeys["bad"] = true;
        await b.SetAsync("bad", "v");
        await b.FlushAsync().Within();
        await b.DeleteAsync("x");
        await b.FlushAsync().Within();

        _listener.RecordObservableInstruments();
        string dump = Dump();
        Assert.True(10 == Sum("writebehind.writes.accepted", _a), dump);
        Assert.True(10 == Sum("writebehind.rows.committed", _a), dump);
        Assert.True(0 == Sum("writebehind.retries", _a), dump);
        Assert.True(3 == Sum("writebehind.writes.accepted", _b), dump);
        Assert.True(2 == Sum("writebehind.retries", _b), dump);
        Assert.True(1 == Sum("writebehind.writes.failed", _b), dump);
        Assert.True(1 == Sum("writebehind.dead_letters", _b), dump);
        Assert.True(2 == Sum("writebehind.rows.committed", _b), dump);
        Assert.True(0 == _observed[("writebehind.pending.entries", _a)], dump);
        Assert.True(10 == _observed[("writebehind.entries.cached", _a)], dump);

        await a.DisposeAsync();
        _observed.Clear();
        _listener.RecordObservableInstruments();
        Assert.False(_observed.ContainsKey(("writebehind.pending.entries", _a)), Dump());
        Assert.True(_observed.ContainsKey(("writebehind.pending.entries", _b)), Dump());
        await b.DisposeAsync();
    }
}
