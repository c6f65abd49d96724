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
    [InlineData(6, 4)] // the default's topology: a lane for each shard
    [InlineData(7, 4)]
    public async Task RandomOperations_AfterFlush_StoreEqualsModelAndEveryReadSawLatestWrite(int seed, int parallelism = 2)
    {
        var store = new InMemoryStore<string>();
        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = parallelism,
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

    /// <summary>
    /// The same model with more of the cache in play at once: a small <c>MaxCachedEntries</c> (evictions) with
    /// read-through (loads racing writes, commits and evictions), poison keys (batches split, records dead-lettered),
    /// transient write and load faults, writer loops crashed at random (batches handed back), Committed-level writes,
    /// atomic updates (whose reads race all of that), an optional write delay, and optionally a TimeToLive so short that clean entries expire almost at once. Reads
    /// must never see anything older than the task's latest write (a poison key may read as missing once its failed
    /// entry is evicted or expired, as the store never held it).
    /// </summary>
    [Theory]
    [InlineData(11, false, false)]
    [InlineData(12, false, false)]
    [InlineData(13, true, false)]
    [InlineData(14, true, false)]
    [InlineData(15, false, false)]
    [InlineData(16, false, true)]
    [InlineData(17, true, true)]
    [InlineData(18, false, true)]
    [InlineData(19, false, false, 4)] // the default's topology: a lane for each shard
    [InlineData(20, true, true, 4)]
    public async Task RandomOperations_WithEvictionsLoadsPoisonAndCrashes_NoReadOrRowOlderThanLatestWrite(int seed, bool writeDelay, bool expiry, int parallelism = 2)
    {
        var store = new InMemoryStore<string>();
        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = parallelism,
            MaxBatchSize = 8,
            MaxBatchDelay = TimeSpan.FromMilliseconds(1),
            WriteDelay = writeDelay ? TimeSpan.FromMilliseconds(2) : TimeSpan.Zero,
            PipelineBufferSize = 4,
            MailboxCapacity = 8,
            MaxPendingEntries = 48,
            MaxCachedEntries = 16,
            ReadThrough = true,
            TimeToLive = expiry ? TimeSpan.FromMilliseconds(1) : TimeSpan.Zero, // clean entries expire almost at once: reloads race everything
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2) },
        };
        const int Tasks = 4;
        const int KeysPerTask = 30;
        for (int t = 0; t < Tasks; t++)
        {
            store.PoisonKeys[$"t{t}-k0"] = true;
            store.PoisonKeys[$"t{t}-k1"] = true;
        }

        await using var cache = new WriteBehindCache<string, string>(store, options);
        var models = new Dictionary<string, string?>[Tasks];
        var workers = Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var random = new Random((seed * 100) + t);
            var model = models[t] = [];
            for (int op = 0; op < 1_500; op++)
            {
                string key = $"t{t}-k{random.Next(KeysPerTask)}";
                bool poison = store.PoisonKeys.ContainsKey(key);
                switch (random.Next(20))
                {
                    case < 8:
                        string value = $"{op}-{random.Next()}";
                        switch (random.Next(4))
                        {
                            case 0:
                                while (!cache.TrySet(key, value))
                                {
                                    await Task.Yield();
                                }

                                break;
                            case 1:
                                var committed = cache.SetAsync(key, value, WriteConsistency.Committed).AsTask();
                                if (poison)
                                {
                                    await Assert.ThrowsAsync<WriteFailedException>(() => committed).WaitAsync(TimeSpan.FromMinutes(1));
                                }
                                else
                                {
                                    await committed.WaitAsync(TimeSpan.FromMinutes(1));
                                }

                                break;
                            default:
                                await cache.SetAsync(key, value);
                                break;
                        }

                        model[key] = value;
                        break;
                    case < 11:
                        await cache.DeleteAsync(key);
                        model[key] = null;
                        break;
                    case < 16:
                        CacheLookup<string> seen;
                        try
                        {
                            seen = await cache.TryGetAsync(key).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
                        }
                        catch (InvalidOperationException)
                        {
                            break; // a scripted load failure
                        }

                        model.TryGetValue(key, out var expected);
                        string? actual = seen.Found ? seen.Value : null;
                        if (!(poison && actual is null))
                        {
                            Assert.True(expected == actual, $"{key}: read {actual ?? "null"}, latest write {expected ?? "null"}");
                        }

                        break;
                    case < 18:
                        // An atomic update, raced by evictions, expiry, reloads and load failures (the task's own keys
                        // have no other writer): the value its function last ran on must be the latest write.
                        CacheLookup<string> given = default;
                        string? made = null;
                        var level = random.Next(4) == 0 ? WriteConsistency.Committed : WriteConsistency.Accepted;
                        try
                        {
                            await cache.UpdateAsync(
                                key,
                                current =>
                                {
                                    given = current;
                                    return made = $"{(current.Found ? current.Value : "none")}+{op}";
                                },
                                level).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
                        }
                        catch (InvalidOperationException)
                        {
                            break; // a scripted load failure: nothing was written
                        }
                        catch (WriteFailedException) when (poison && level == WriteConsistency.Committed)
                        {
                            // Made, and refused by the store: the cache holds it (dead-lettered), as for a SetAsync.
                        }

                        model.TryGetValue(key, out var latest);
                        string? ran = given.Found ? given.Value : null;
                        if (!(poison && ran is null))
                        {
                            Assert.True(latest == ran, $"{key}: the update ran on {ran ?? "null"}, latest write {latest ?? "null"}");
                        }

                        model[key] = made;
                        break;
                    default:
                        switch (random.Next(8))
                        {
                            case 0:
                                store.FailNext(1);
                                break;
                            case 1:
                                store.FailNextLoads(1);
                                break;
                            case 2:
                                cache.Lanes[random.Next(cache.Lanes.Length)].CrashOnNextBatch = new InvalidOperationException("scripted crash");
                                break;
                            case 3:
                                await cache.FlushAsync().WaitAsync(TimeSpan.FromMinutes(1));
                                break;
                        }

                        break;
                }
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));
        await cache.FlushAsync().WaitAsync(TimeSpan.FromMinutes(1));

        var model = models.SelectMany(m => m).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, expected) in model)
        {
            bool poison = store.PoisonKeys.ContainsKey(key);
            store.Rows.TryGetValue(key, out var row);
            string? stored = row is null ? null : Harness.Text(row.Value);
            if (poison)
            {
                Assert.Null(stored);
                var letter = store.DeadLetters.Letters[key];
                Assert.Equal(expected, letter.Operation == WriteOperation.Delete ? null : Harness.Text(letter.Value));
            }
            else
            {
                Assert.True(expected == stored, $"{key}: stored {stored ?? "null"}, latest write {expected ?? "null"}");
            }

            CacheLookup<string> seen;
            while (true)
            {
                try
                {
                    seen = await cache.TryGetAsync(key).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
                    break;
                }
                catch (InvalidOperationException)
                {
                    // A load failure scripted by a task and not used up by its reads.
                }
            }

            string? read = seen.Found ? seen.Value : null;
            Assert.True(read == (poison ? read is null ? null : expected : expected), $"{key}: read {read ?? "null"} after the flush, latest write {expected ?? "null"}");
        }

        Assert.Equal(0, cache.GetStatistics().PendingEntries);
        Assert.All(store.CommittedBatches, b => Assert.Equal(b.Count, b.Select(r => r.Key).Distinct().Count()));
        var report = await cache.ShutdownAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(report.Flushed);
    }
}
