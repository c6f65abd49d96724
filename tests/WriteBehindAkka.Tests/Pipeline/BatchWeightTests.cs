using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Pipeline;

/// <summary>MaxBatchBytes weighs each record by its value, its key and its row's overhead, so that a batch fits PostgreSQL's one message.</summary>
public sealed class BatchWeightTests
{
    [Fact]
    public async Task LongKeysWithShortValues_AreSplitByMaxBatchBytes_NotSentAsOneBatch()
    {
        // 20 keys of 1,000 characters with 3-byte values: 60 bytes of values in all, but about 61 KB of keys. By values
        // alone all 20 would go in one batch of a 10,000-byte bound; weighed with their keys, three at most fit.
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, Parallelism = 1, MaxBatchSize = 100, MaxBatchBytes = 10_000, MaxBatchDelay = TimeSpan.FromMinutes(1) }));
        for (int i = 0; i < 20; i++)
        {
            await cache.SetAsync(i.ToString("D4") + new string('k', 996), "v");
        }

        await cache.FlushAsync().Within();

        Assert.Equal(20, store.Rows.Count);
        Assert.All(store.CommittedBatches, batch => Assert.True(batch.Sum(r => WriterLane<string>.Weight(r)) <= 10_000 || batch.Count == 1, $"a batch of {batch.Count} records weighs {batch.Sum(r => WriterLane<string>.Weight(r))}"));
        Assert.True(store.CommittedBatches.Max(b => b.Count) <= 3);
        Assert.True(store.CommittedBatches.Count < 20, "the batches still hold several records each"); // batches of one would pass the rest
    }

    [Fact]
    public void Weight_IsTheValue_TheKeysUtf8AtMost_AndTheRowsOverhead()
    {
        var value = new byte[100];

        Assert.Equal(100 + (3 * 5) + WriterLane<string>.RecordOverheadBytes, WriterLane<string>.Weight(new WriteRecord<string>("héllo", WriteOperation.Upsert, value, 1)));
        Assert.Equal(100 + 16 + WriterLane<long>.RecordOverheadBytes, WriterLane<long>.Weight(new WriteRecord<long>(42, WriteOperation.Upsert, value, 1)));
        Assert.Equal(16 + WriterLane<long>.RecordOverheadBytes, WriterLane<long>.Weight(new WriteRecord<long>(42, WriteOperation.Delete, ReadOnlyMemory<byte>.Empty, 1)));
    }
}
