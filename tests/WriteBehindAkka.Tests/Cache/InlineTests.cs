using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Inline handling: a caller that finds its shard idle runs its write (or cached read) itself; a caller whose
/// shard has anything queued queues behind it, so each caller's messages keep their order.
/// </summary>
public sealed class InlineTests
{
    private static readonly byte[] A = Encoding.UTF8.GetBytes("\"a\"");
    private static readonly byte[] B = Encoding.UTF8.GetBytes("\"b\"");

    [Fact]
    public void TryWriteInline_IdleShard_AppliesAndEmitsOnTheCallersThread()
    {
        var (shard, lane) = NewShard();

        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", A, WriteConsistency.Accepted, reply: null, out long version, out _));

        Assert.True(version > 0);
        Assert.Equal(1, shard.PendingEntries);
        Assert.True(lane.Reader.TryRead(out var item));
        Assert.Equal("k", item.Record.Key);
        Assert.Equal(version, item.Record.Version);
    }

    [Fact]
    public async Task TryWriteInline_SomethingQueued_RefusesUntilTheLoopHandledIt()
    {
        var (shard, lane) = NewShard();
        Assert.True(shard.TryPost(new ShardCommand<string>(CommandKind.Set, "k", A, null, default)));

        // The earlier Tell is still queued: running this write now would overtake it.
        Assert.False(shard.TryWriteInline(CommandKind.Set, "k", B, WriteConsistency.Accepted, reply: null, out _, out _));
        Assert.False(shard.TryGetInline("k", out _));

        var loop = Task.Run(shard.RunAsync);
        var first = await lane.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(A, first.Record.Value);

        // Handled: the shard is idle again and the next write runs inline, after the queued one.
        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", B, WriteConsistency.Accepted, reply: null, out long second, out _));
        Assert.True(second > first.Record.Version);
        Assert.True(shard.TryGetInline("k", out byte[]? cached));
        Assert.Equal(B, cached);

        shard.CompleteMailbox();
        await loop.Within();
    }

    [Fact]
    public async Task TryWriteInline_AfterTheLoopEnded_Refuses()
    {
        var (shard, _) = NewShard();
        var loop = Task.Run(shard.RunAsync);
        shard.CompleteMailbox();
        await loop.Within();

        Assert.False(shard.TryWriteInline(CommandKind.Set, "k", A, WriteConsistency.Accepted, reply: null, out _, out _));
        Assert.False(shard.TryGetInline("k", out _));
        Assert.Equal(0, shard.PendingEntries);
    }

    [Fact]
    public void TryGetInline_UncachedKey_AnswersOnlyWithoutReadThrough()
    {
        var (readThrough, _) = NewShard();
        var (noReadThrough, _) = NewShard(readThrough: false);

        Assert.False(readThrough.TryGetInline("missing", out _));
        Assert.True(noReadThrough.TryGetInline("missing", out byte[]? value));
        Assert.Null(value);
    }

    [Fact]
    public async Task TryWriteInline_WithReply_AnswersTheAskLikeTheLoop()
    {
        var (shard, _) = NewShard();
        var accepted = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.True(shard.TryWriteInline(CommandKind.Set, "a", A, WriteConsistency.Accepted, accepted, out long version, out _));
        Assert.True(shard.TryWriteInline(CommandKind.Set, "c", A, WriteConsistency.Committed, committed, out _, out _));

        Assert.Equal(new WriteResult(version, WriteConsistency.Accepted), await accepted.Task.Within());
        Assert.False(committed.Task.IsCompleted); // answered at commit, not before
    }

    [Fact]
    public void Rewrite_OfAValueHandedToAReader_LeavesTheReadersArrayAlone()
    {
        var (shard, _) = NewShard();
        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", A.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));
        Assert.True(shard.TryGetInline("k", out byte[]? read));

        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", B.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));

        Assert.Equal(A, read);
        Assert.True(shard.TryGetInline("k", out byte[]? again));
        Assert.Equal(B, again);
    }

    [Fact]
    public void Rewrite_WhileInFlight_LeavesTheEmittedRecordAlone()
    {
        var (shard, lane) = NewShard();
        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", A.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));
        Assert.True(lane.Reader.TryRead(out var emitted));

        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", B.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));

        Assert.Equal(A, emitted.Record.Value.ToArray());
    }

    [Fact]
    public async Task Rewrite_OfAValueNobodyElseHolds_IsCopiedIntoTheHeldArray()
    {
        var (shard, lane) = NewShard(laneCapacity: 1);
        Assert.True(shard.TryWriteInline(CommandKind.Set, "first", A.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));

        // The lane is full: "k" stays dirty in the shard, so its array is the shard's alone and a rewrite of the
        // same length goes into it rather than leaving the entry pointing at the caller's new array.
        byte[] held = A.ToArray();
        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", held, WriteConsistency.Accepted, reply: null, out _, out _));
        Assert.True(shard.TryWriteInline(CommandKind.Set, "k", B.ToArray(), WriteConsistency.Accepted, reply: null, out _, out _));

        var loop = Task.Run(shard.RunAsync);
        Assert.Equal("first", (await lane.Reader.ReadAsync().AsTask().Within()).Record.Key);
        var emitted = await lane.Reader.ReadAsync().AsTask().Within();
        Assert.Equal("k", emitted.Record.Key);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(emitted.Record.Value, out var segment));
        Assert.Same(held, segment.Array);
        Assert.Equal(B, held);

        shard.CompleteMailbox();
        await loop.Within();
    }

    /// <summary>
    /// Each caller owns its keys and mixes Tells and Asks with rising values while others hammer the same shards,
    /// so some writes run inline and some queue; every key must end at its caller's last write.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task MixedTellsAndAsks_EachCallersLastWriteWins(int seed)
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 64, MailboxCapacity = 8 }));
        const int Callers = 8, Keys = 4, Writes = 2_000;

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed * 100 + c);
            for (int i = 1; i <= Writes; i++)
            {
                string key = $"c{c}-k{random.Next(Keys)}";
                if (random.Next(2) == 0 && cache.TrySet(key, $"{i}"))
                {
                    continue;
                }

                await cache.SetAsync(key, $"{i}");
            }
        })).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        for (int c = 0; c < Callers; c++)
        {
            var last = LastWrites(seed * 100 + c, Keys, Writes);
            foreach (var (key, value) in last)
            {
                Assert.Equal(value, await cache.GetAsync($"c{c}-{key}"));
            }
        }

        var flushed = await cache.FlushAsync().Within();
        Assert.True(flushed.AllCommitted);
        for (int c = 0; c < Callers; c++)
        {
            foreach (var (key, value) in LastWrites(seed * 100 + c, Keys, Writes))
            {
                Assert.Equal($"\"{value}\"", Encoding.UTF8.GetString(store.Rows[$"c{c}-{key}"].Value));
            }
        }
    }

    /// <summary>Replays a caller's key choices (the same random sequence) to find its last value per key.</summary>
    private static Dictionary<string, string> LastWrites(int seed, int keys, int writes)
    {
        var random = new Random(seed);
        var last = new Dictionary<string, string>();
        for (int i = 1; i <= writes; i++)
        {
            string key = $"k{random.Next(keys)}";
            random.Next(2);
            last[key] = $"{i}";
        }

        return last;
    }

    private static (Shard<string> Shard, Channel<PipelineItem<string>> Lane) NewShard(bool readThrough = true, int laneCapacity = 16)
    {
        var options = Harness.Options(o => o with { ReadThrough = readThrough });
        var ctx = new CacheContext<string>("inline", options, new InMemoryStore<string>(), TimeProvider.System, NullLogger.Instance, () => 0.0);
        var lane = Channel.CreateBounded<PipelineItem<string>>(laneCapacity);
        return (new Shard<string>(0, ctx, lane.Writer), lane);
    }
}
