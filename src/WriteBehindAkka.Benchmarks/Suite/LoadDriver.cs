using System.Diagnostics;
using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>
/// Runs one contender's workers through warm-up, the measured window and the drain, sampling the time series,
/// and turns the counters into the run's figures. The verification is the contender's.
/// </summary>
internal static class LoadDriver
{
    public static async Task<RunResult> RunAsync(RunContext context, int workers, Func<int, WorkerStats, RunControl, Task> body, DriverHooks hooks)
    {
        var control = new RunControl();
        var stats = new WorkerStats[workers];
        for (int i = 0; i < workers; i++)
        {
            stats[i] = new WorkerStats();
        }

        long Sum(Func<WorkerStats, long> read)
        {
            long total = 0;
            foreach (var s in stats)
            {
                total += read(s);
            }

            return total;
        }

        long Writes() => Sum(s => Volatile.Read(ref s.Writes));
        long Reads() => Sum(s => Volatile.Read(ref s.Reads));
        Func<long> rows = hooks.Rows ?? (() => Sum(s => Volatile.Read(ref s.Rows)));
        var server = context.Database.ServerCpu;

        var sampler = new TimeSeriesSampler(control, Writes, rows, hooks.Backlog ?? (() => null), hooks.Lag);
        var tasks = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            int worker = i;
            tasks[i] = Task.Run(() => body(worker, stats[worker], control));
        }

        await WaitOrFailAsync(tasks, context.Settings.Warmup, context.Cancellation).ConfigureAwait(false);
        long writes0 = Writes(), rows0 = rows(), reads0 = Reads(), fsyncs0 = hooks.Fsyncs?.Invoke() ?? 0;
        double cpu0 = ProcessCpu.Seconds(), serverCpu0 = server.Seconds();
        var gc0 = GcSnapshot.Take();
        using var allocations = context.Settings.AllocationProfile ? new AllocationSampler() : null;
        allocations?.Start();
        var window = Stopwatch.StartNew();
        hooks.FsyncDurations?.Open();
        control.OpenWindow();
        await WaitOrFailAsync(tasks, context.Settings.Duration, context.Cancellation).ConfigureAwait(false);
        control.CloseWindow();
        var fsyncDurations = hooks.FsyncDurations?.Close();
        double seconds = window.Elapsed.TotalSeconds;
        long writes1 = Writes(), rows1 = rows(), reads1 = Reads(), fsyncs1 = hooks.Fsyncs?.Invoke() ?? 0;
        double cpu1 = ProcessCpu.Seconds(), serverCpu1 = server.Seconds();
        var gc = GcSnapshot.Take() - gc0;
        allocations?.Stop();
        control.Stop();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            await sampler.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        double? drainSeconds = null;
        long? backlogAtStop = hooks.Backlog?.Invoke();
        long rowsAtStop = rows();
        long? journalAtStop = hooks.JournalBytes?.Invoke();
        if (hooks.Drain is { } drain)
        {
            var drainClock = Stopwatch.StartNew();
            await drain().ConfigureAwait(false);
            drainSeconds = drainClock.Elapsed.TotalSeconds;
        }

        long rowsDrained = rows() - rowsAtStop;
        long? journalAtEnd = hooks.JournalBytes?.Invoke();

        await sampler.DisposeAsync().ConfigureAwait(false);

        var writeLatency = new LatencyHistogram();
        var readLatency = new LatencyHistogram();
        foreach (var s in stats)
        {
            writeLatency.Add(s.WriteLatency);
            readLatency.Add(s.ReadLatency);
        }

        long windowWrites = writes1 - writes0;
        long totalWrites = Writes();
        var lag = hooks.Lag?.Window;
        double perMillion = Math.Max(1, windowWrites) / 1e6;
        return new RunResult
        {
            Repetition = context.Repetition,
            WindowSeconds = seconds,
            Writes = windowWrites,
            WritesPerSecond = windowWrites / seconds,
            AckP50Us = Micros(writeLatency, 50),
            AckP99Us = Micros(writeLatency, 99),
            AckP999Us = Micros(writeLatency, 99.9),
            AckMaxUs = writeLatency.Count == 0 ? null : writeLatency.Max / 1e3,
            ReadsPerSecond = context.Workload.ReadPercent > 0 ? (reads1 - reads0) / seconds : null,
            ReadP50Us = Micros(readLatency, 50),
            ReadP99Us = Micros(readLatency, 99),
            Rows = rows1 - rows0,
            RowsPerSecond = (rows1 - rows0) / seconds,
            LagP50Ms = lag is { Count: > 0 } ? lag.Percentile(50) / 1e6 : null,
            LagP99Ms = lag is { Count: > 0 } ? lag.Percentile(99) / 1e6 : null,
            LagMaxMs = lag is { Count: > 0 } ? lag.Max / 1e6 : null,
            LagSamples = lag?.Count,
            MaxBacklog = sampler.MaxBacklog,
            CoalescingRatio = totalWrites == 0 ? null : (double)rows() / totalWrites,
            CpuSecondsPerMillion = windowWrites == 0 ? null : (cpu1 - cpu0) / perMillion,
            ServerCpuSecondsPerMillion = server.Available && windowWrites > 0 ? (serverCpu1 - serverCpu0) / perMillion : null,
            PeakWorkingSetBytes = sampler.PeakWorkingSet,
            AllocatedBytesPerWrite = gc.AllocatedBytes / (double)Math.Max(1, windowWrites),
            GcPausePercent = gc.PauseSeconds / seconds * 100,
            MaxGcPauseMs = sampler.MaxGcPauseMs,
            GcCollections = $"{gc.Gen0}/{gc.Gen1}/{gc.Gen2}",
            AllocationProfile = allocations?.Top(12).Select(t => new AllocationShare(t.Type, t.Bytes / (double)Math.Max(1, windowWrites))).ToList(),
            DrainSeconds = drainSeconds,
            BacklogAtStop = backlogAtStop,
            DrainRowsPerSecond = drainSeconds is > 0 && rowsDrained > 0 ? rowsDrained / drainSeconds : null,
            MeanBatchRows = hooks.MeanBatchRows?.Invoke(),
            FsyncsPerSecond = hooks.Fsyncs is null ? null : (fsyncs1 - fsyncs0) / seconds,
            WritesPerFsync = hooks.Fsyncs is null || fsyncs1 == fsyncs0 ? null : windowWrites / (double)(fsyncs1 - fsyncs0),
            FsyncP50Us = fsyncDurations is null ? null : Micros(fsyncDurations, 50),
            FsyncP99Us = fsyncDurations is null ? null : Micros(fsyncDurations, 99),
            FsyncMaxUs = fsyncDurations is { Count: > 0 } ? fsyncDurations.Max / 1e3 : null,
            JournalBytesAtStop = journalAtStop,
            JournalBytesAtEnd = journalAtEnd,
            WindowStart = control.WindowStart ?? 0,
            WindowEnd = control.WindowEnd ?? 0,
            Series = sampler.Samples,
        };
    }

    private static double? Micros(LatencyHistogram histogram, double percentile) =>
        histogram.Count == 0 ? null : histogram.Percentile(percentile) / 1e3;

    /// <summary>Waits for a phase to pass; a worker that fails ends the run at once with its error.</summary>
    private static async Task WaitOrFailAsync(Task[] workers, TimeSpan phase, CancellationToken cancellationToken)
    {
        var delay = Task.Delay(phase, cancellationToken);
        var first = await Task.WhenAny(workers.Append(delay)).ConfigureAwait(false);
        if (first != delay)
        {
            await first.ConfigureAwait(false);
            throw new InvalidOperationException("A benchmark worker stopped before the run ended without an error.");
        }

        await delay.ConfigureAwait(false);
    }
}
