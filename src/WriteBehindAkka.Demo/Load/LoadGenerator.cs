using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Demo.Leaderboard;

namespace WriteBehindAkka.Demo.Load;

/// <summary>
/// Writes random scores of random players at a steady rate, as a crowd of game clients would: <c>TrySet</c> (Tell) while
/// the cache has room, <c>SetAsync</c> (Ask, waiting under backpressure) when it has not. Started by
/// <c>POST /load</c> or by <c>Demo:Load:WritesPerSecond</c> at start-up.
/// </summary>
public sealed class LoadGenerator : BackgroundService
{
    /// <summary>How often the generator catches up with its target rate.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly IWriteBehindCache<long, PlayerScore> _cache;
    private readonly TimeProvider _time;
    private readonly LoadOptions _startup;
    private readonly ILogger<LoadGenerator> _logger;
    private readonly Lock _gate = new();
    private readonly Channel<LoadRun> _runs = Channel.CreateUnbounded<LoadRun>(new UnboundedChannelOptions { SingleReader = true });
    private LoadRun? _current;

    public LoadGenerator(
        [FromKeyedServices(DemoHost.CacheName)] IWriteBehindCache<long, PlayerScore> cache,
        TimeProvider time,
        IOptions<DemoOptions> options,
        ILogger<LoadGenerator> logger)
    {
        _cache = cache;
        _time = time;
        _startup = options.Value.Load;
        _logger = logger;
    }

    /// <summary>Starts a run, replacing the current one.</summary>
    /// <param name="writesPerSecond">The rate, 1 to 1,000,000.</param>
    /// <param name="seconds">How long; 0 runs until stopped.</param>
    /// <param name="players">Distinct players, at least 1.</param>
    /// <returns>The new status.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LoadStatus Start(int writesPerSecond, int seconds, int players)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(writesPerSecond);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writesPerSecond, 1_000_000);
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(players);
        var run = new LoadRun(writesPerSecond, players, seconds == 0 ? null : TimeSpan.FromSeconds(seconds), _time.GetTimestamp());
        lock (_gate)
        {
            _current?.Stop.Cancel();
            _current = run;
            _runs.Writer.TryWrite(run);
        }

        Log.LoadStarted(_logger, writesPerSecond, players, seconds);
        return Status();
    }

    /// <summary>Stops the current run, if any.</summary>
    /// <returns>The new status.</returns>
    public LoadStatus Stop()
    {
        lock (_gate)
        {
            _current?.Stop.Cancel();
        }

        return Status();
    }

    /// <summary>Where the generator stands.</summary>
    /// <returns>The status.</returns>
    public LoadStatus Status()
    {
        LoadRun? run;
        lock (_gate)
        {
            run = _current;
        }

        if (run is null)
        {
            return new LoadStatus(false, 0, 0, null, 0);
        }

        bool running = !run.Stop.IsCancellationRequested && !(run.Duration is { } d && _time.GetElapsedTime(run.StartedAt) >= d);
        double? left = running && run.Duration is { } duration ? Math.Max(0, (duration - _time.GetElapsedTime(run.StartedAt)).TotalSeconds) : null;
        return new LoadStatus(running, running ? run.WritesPerSecond : 0, run.Players, left, run.Written);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_startup.WritesPerSecond > 0)
        {
            Start(_startup.WritesPerSecond, _startup.Seconds, _startup.Players);
        }

        await foreach (var run in _runs.Reader.ReadAllAsync(stoppingToken))
        {
            if (run.Stop.IsCancellationRequested)
            {
                continue; // replaced before it began
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, run.Stop.Token);
            try
            {
                await RunAsync(run, linked.Token);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
            }
            catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
            {
                // The host is stopping and the cache with it.
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // A run that fails (a cache that refuses its writes, say) ends itself, not the generator or the host.
                Log.LoadFailed(_logger, error, run.Written);
            }

            await run.Stop.CancelAsync();
            Log.LoadFinished(_logger, run.Written);
        }
    }

    private async Task RunAsync(LoadRun run, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        long written = 0;
        do
        {
            var elapsed = _time.GetElapsedTime(run.StartedAt);
            if (run.Duration is { } duration && elapsed >= duration)
            {
                return;
            }

            long due = (long)(elapsed.TotalSeconds * run.WritesPerSecond);
            for (; written < due; written++)
            {
                long player = Random.Shared.NextInt64(1, (long)run.Players + 1);
                var score = new PlayerScore($"player-{player}", Random.Shared.NextInt64(0, 1_000_000));
                if (!_cache.TrySet(player, score))
                {
                    await _cache.SetAsync(player, score, cancellationToken);
                }

                run.Count();
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}
