using System.Threading.Channels;
using WriteBehindAkka.Pipeline;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Pipeline;

public sealed class GroupedWithinTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    private static (Channel<int> Input, GroupedWithin<int> Stage, ManualTimeProvider Clock, Task Run) Start(int maxCount, params int[] preloaded) =>
        StartWeighted(maxCount, maxWeight: null, preloaded);

    /// <summary>With a max weight, each element weighs its own value (GroupedWeightedWithin).</summary>
    private static (Channel<int> Input, GroupedWithin<int> Stage, ManualTimeProvider Clock, Task Run) StartWeighted(int maxCount, long? maxWeight, params int[] preloaded)
    {
        var input = Channel.CreateBounded<int>(64);
        foreach (int item in preloaded)
        {
            Assert.True(input.Writer.TryWrite(item));
        }

        var clock = new ManualTimeProvider();
        var stage = maxWeight is { } max
            ? new GroupedWithin<int>(input.Reader, maxCount, Delay, clock, static item => item, max)
            : new GroupedWithin<int>(input.Reader, maxCount, Delay, clock);
        return (input, stage, clock, stage.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_CountReached_EmitsFullGroupWithoutWaitingForTime()
    {
        var (input, stage, _, _) = Start(3, 1, 2, 3, 4);

        var first = await stage.Output.ReadAsync().AsTask().Within();

        Assert.Equal([1, 2, 3], first);
        input.Writer.Complete();
    }

    [Fact]
    public async Task RunAsync_WeightReached_EmitsWithoutWaitingAndStartsTheNextGroupWithTheElementThatDidNotFit()
    {
        var (input, stage, _, run) = StartWeighted(100, maxWeight: 10, 4, 5, 3, 2, 8);
        input.Writer.Complete();

        var groups = new List<List<int>>();
        await foreach (var group in stage.Output.ReadAllAsync().WithCancellation(new CancellationTokenSource(Harness.Within).Token))
        {
            groups.Add(group);
        }

        await run.Within();

        // 4+5 = 9 (3 would make 12); 3+2 = 5 (8 would make 13); 8 alone at the end of the input.
        Assert.Equal([[4, 5], [3, 2], [8]], groups);
    }

    [Fact]
    public async Task RunAsync_ElementHeavierThanMaxWeight_TravelsAlone()
    {
        var (input, stage, _, _) = StartWeighted(100, maxWeight: 10, 1, 50, 2);

        Assert.Equal([1], await stage.Output.ReadAsync().AsTask().Within());
        Assert.Equal([50], await stage.Output.ReadAsync().AsTask().Within());
        input.Writer.Complete();
        Assert.Equal([2], await stage.Output.ReadAsync().AsTask().Within());
    }

    [Fact]
    public async Task RunAsync_FewerThanCount_EmitsWhenDelaySinceFirstElementPasses()
    {
        var (input, stage, clock, _) = Start(10, 7, 8);
        await clock.WaitForTimerDueInAsync(Delay, Harness.Within);

        clock.Advance(Delay - TimeSpan.FromTicks(1));
        Assert.False(stage.Output.TryPeek(out _));
        Assert.Equal([TimeSpan.FromTicks(1)], clock.DueTimes());

        clock.Advance(TimeSpan.FromTicks(1));
        var group = await stage.Output.ReadAsync().AsTask().Within();

        Assert.Equal([7, 8], group);
        input.Writer.Complete();
    }

    [Fact]
    public async Task RunAsync_InputCompletes_EmitsLastPartialGroupThenCompletes()
    {
        var (input, stage, _, run) = Start(10, 1, 2);
        input.Writer.Complete();

        var groups = new List<List<int>>();
        await foreach (var group in stage.Output.ReadAllAsync().WithCancellation(new CancellationTokenSource(Harness.Within).Token))
        {
            groups.Add(group);
        }

        await run.Within();
        Assert.Equal([[1, 2]], groups);
    }

    [Fact]
    public async Task RunAsync_NoElements_NeverEmitsAnEmptyGroup()
    {
        var (input, stage, clock, run) = Start(10);
        clock.Advance(TimeSpan.FromSeconds(10));
        input.Writer.Complete();

        await run.Within();

        Assert.False(stage.Output.TryRead(out _));
        Assert.True(stage.Output.Completion.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_DownstreamBusy_FillsWaitingGroupThenBackpressures()
    {
        // Nobody reads the output: one group sits in the output, the next fills to the limit, the rest stays upstream.
        var (input, stage, _, _) = Start(4, Enumerable.Range(1, 12).ToArray());

        using var budget = new CancellationTokenSource(Harness.Within);
        while (input.Reader.Count != 4)
        {
            await Task.Delay(1, budget.Token);
        }

        Assert.Equal([1, 2, 3, 4], await stage.Output.ReadAsync().AsTask().Within());
        Assert.Equal([5, 6, 7, 8], await stage.Output.ReadAsync().AsTask().Within());
        Assert.Equal([9, 10, 11, 12], await stage.Output.ReadAsync().AsTask().Within());
        input.Writer.Complete();
    }

    [Fact]
    public async Task RunAsync_TimerFiresWhileDownstreamBusy_GroupKeepsGrowingUntilEmitted()
    {
        var (input, stage, clock, _) = Start(10, 1);
        await clock.WaitForTimerDueInAsync(Delay, Harness.Within);
        clock.Advance(Delay);
        using var budget = new CancellationTokenSource(Harness.Within);
        while (stage.Output.Count == 0)
        {
            await Task.Delay(1, budget.Token);
        }

        // [1] waits in the output; 2 starts a group that is due after the delay but has no room downstream.
        input.Writer.TryWrite(2);
        await clock.WaitForTimerDueInAsync(Delay, Harness.Within);
        clock.Advance(Delay);
        input.Writer.TryWrite(3);
        input.Writer.TryWrite(4);
        while (input.Reader.Count != 0)
        {
            await Task.Delay(1, budget.Token);
        }

        Assert.Equal([1], await stage.Output.ReadAsync().AsTask().Within());
        Assert.Equal([2, 3, 4], await stage.Output.ReadAsync().AsTask().Within());
        input.Writer.Complete();
    }

    [Fact]
    public async Task RunAsync_Ends_DisposesItsTimer()
    {
        var time = new CountingTimeProvider();
        var input = Channel.CreateBounded<int>(64);
        var stage = new GroupedWithin<int>(input.Reader, 10, Delay, time);
        var run = stage.RunAsync(CancellationToken.None);
        input.Writer.TryWrite(1);
        input.Writer.Complete();
        await foreach (var _ in stage.Output.ReadAllAsync().WithCancellation(new CancellationTokenSource(Harness.Within).Token))
        {
        }

        await run.Within();
        Assert.Equal(1, time.Created);
        Assert.Equal(1, time.Disposed);
    }

    /// <summary>The system clock, counting the timers it creates and the ones disposed.</summary>
    private sealed class CountingTimeProvider : TimeProvider
    {
        private int _created;
        private int _disposed;

        public int Created => Volatile.Read(ref _created);

        public int Disposed => Volatile.Read(ref _disposed);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _created);
            return new CountedTimer(System.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class CountedTimer(ITimer inner, CountingTimeProvider owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                Interlocked.Increment(ref owner._disposed);
                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
