using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>
/// The <c>GroupedWithin(n, d)</c> stage alone: 100,000 items through a bounded input of 4,096 (the default
/// pipeline buffer) into groups of <c>n</c>, read by a consumer as fast as it can. Per item.
/// </summary>
public class GroupedWithinBenchmarks
{
    private const int Items = 100_000;

    [Params(500, 5000)]
    public int MaxCount { get; set; }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> ThroughStage()
    {
        var input = Channel.CreateBounded<long>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        var stage = new GroupedWithin<long>(input.Reader, MaxCount, TimeSpan.FromMilliseconds(50), TimeProvider.System);
        var running = stage.RunAsync(CancellationToken.None);
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            await foreach (var group in stage.Output.ReadAllAsync().ConfigureAwait(false))
            {
                sum += group.Count;
            }

            return sum;
        });
        for (long i = 0; i < Items; i++)
        {
            if (!input.Writer.TryWrite(i))
            {
                await input.Writer.WriteAsync(i).ConfigureAwait(false);
            }
        }

        input.Writer.Complete();
        await running.ConfigureAwait(false);
        return await consumer.ConfigureAwait(false);
    }
}
