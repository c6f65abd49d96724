namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>Samples a cache's backlog, health and the GC heap every few milliseconds until disposed.</summary>
internal sealed class CacheSampler : IAsyncDisposable
{
    private readonly IWriteBehindCache<long, byte[]> _cache;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly HashSet<string> _seen = [];

    private CacheSampler(IWriteBehindCache<long, byte[]> cache)
    {
        _cache = cache;
        _loop = Task.Run(LoopAsync);
    }

    public long MaxPendingEntries { get; private set; }

    public long MaxPendingBytes { get; private set; }

    public long MaxHeapBytes { get; private set; }

    public long Samples { get; private set; }

    /// <summary>The distinct health states seen, as "Status/FailureKind/ErrorCode".</summary>
    public IReadOnlyCollection<string> HealthSeen
    {
        get
        {
            lock (_seen)
            {
                return _seen.ToList();
            }
        }
    }

    public static CacheSampler Start(IWriteBehindCache<long, byte[]> cache) => new(cache);

    public bool Saw(string health)
    {
        lock (_seen)
        {
            return _seen.Contains(health);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var statistics = _cache.GetStatistics();
            var health = _cache.GetHealth();
            MaxPendingEntries = Math.Max(MaxPendingEntries, statistics.PendingEntries);
            MaxPendingBytes = Math.Max(MaxPendingBytes, statistics.PendingBytes);
            MaxHeapBytes = Math.Max(MaxHeapBytes, GC.GetTotalMemory(false));
            Samples++;
            lock (_seen)
            {
                _seen.Add($"{health.Status}/{health.FailureKind}/{health.ErrorCode}");
            }

            try
            {
                await Task.Delay(2, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
