using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Several tasks interleave set, delete, get and flush at random against a reference model, with transient store
/// faults mixed in. Each task owns its own keys (so its model is exact) but the keys of all tasks share shards,
/// mailboxes and batches.
/// </summary>
public sealed class RandomizedModelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task RandomOperations_AfterFlush_StoreEqualsModelAndEveryReadSawLatestWrite(int seed)
    {
        var store = new InMemoryStore<string>();
        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = 2,
            MaxBatchSize = 16,
            MaxBatchDelay = TimeSpan.FromMilliseconds(1),
            PipelineBufferSize = 8,
            MailboxCapacity = 16,
            MaxPendingEntries = 64,
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2) },
        };
        await using var cache = new WriteBehindCache<string, string>(store, options);
        const int Tasks = 4;
        var models = new Dictionary<string, string?>[Tasks];

        var workers = Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var random = new Random((seed * 100) + t);
            var model = models[t] = [];
            for (int op = 0; op < 2_000; op++)
            {
                string key = $"t{t}-k{random.Next(40)}";
                switch (random.Next(10))
                {
                    case < 5:
                        string value = $"{op}-{random.Next()}";
                        if (random.Next(2) == 0)
                        {
                            await cache.SetAsync(key, value);
                        }
                        else
                        {
                            while (!cache.TrySet(key, value))
                            {
                                await Task.Yield();
                            }
                        }

                        model[key] = value;
                        break;
                    case < 7:
                        await cache.DeleteAsync(key);
                        model[key] = null;
                        break;
                    case < 9:
                        var seen = await cache.TryGetAsync(key);
                        model.TryGetValue(key, out var expected);
                        Assert.Equal(expected, seen.Found ? seen.Value : null);
                        break;
                    default:
                        if (random.Next(20) == 0)
                        {
                            store.FailNext(1);
                        }

                        if (random.Next(10) == 0)
                        {
                            Assert.True((await cache.FlushAsync()).AllCommitted);
                        }

                        break;
                }
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));
        var flush = await cache.FlushAsync().Within();

        Assert.True(flush.AllCommitted);
        var expectedRows = models.SelectMany(m => m).Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        var actualRows = store.Rows.ToDictionary(kv => kv.Key, kv => (string?)Harness.Text(kv.Value.Value));
        Assert.Equal(expectedRows.OrderBy(kv => kv.Key), actualRows.OrderBy(kv => kv.Key));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
        Assert.True(store.CommittedBatches.Sum(b => b.Count) <= Tasks * 2_000, "coalescing never multiplies records");
        Assert.All(store.CommittedBatches, b => Assert.Equal(b.Count, b.Select(r => r.Key).Distinct().Count()));
        Assert.DoesNotContain(store.CommittedBatches.SelectMany(b => b), r => r.Operation == WriteOperation.Upsert && r.Value.IsEmpty);
    }
}
