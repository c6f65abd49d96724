using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>
/// The <c>micro</c> sub-command: BenchmarkDotNet over the hot path (key routing, the shard's set path, the
/// GroupedWithin stage). Runs in-process (no generated project to build), with a short job sized for a 2-core
/// machine; BenchmarkDotNet's own options (<c>--filter</c>, <c>--job</c>, ...) pass through.
/// </summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(8);
        var config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile)
            .WithArtifactsPath(Path.Combine("artifacts", "bench", "micro"));
        var switcher = BenchmarkSwitcher.FromTypes([typeof(KeyRoutingBenchmarks), typeof(ShardSetBenchmarks), typeof(ShardGetBenchmarks), typeof(GroupedWithinBenchmarks)]);
        var summaries = switcher.Run(args.Length == 0 ? ["--filter", "*"] : args, config).ToList();
        bool listsOnly = args.Any(a => a is "--list" or "--help" or "-h" or "-?" or "--version" or "--info");
        if (!listsOnly && (summaries.Count == 0 || summaries.All(s => s.BenchmarksCases.Length == 0)))
        {
            // A filter that matches nothing (or options BenchmarkDotNet refused) ran nothing: that is no success.
            Console.Error.WriteLine($"no micro-benchmark matches '{string.Join(' ', args)}' (or BenchmarkDotNet refused the options; see above); the classes are KeyRoutingBenchmarks, ShardSetBenchmarks, ShardGetBenchmarks, GroupedWithinBenchmarks, e.g. --filter *ShardSet*.");
            return 1;
        }

        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
