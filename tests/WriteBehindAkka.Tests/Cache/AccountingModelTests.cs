using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// The pending counts (<see cref="CacheStatistics.PendingEntries"/>, <see cref="CacheStatistics.PendingBytes"/>) and
/// the queued/admitted counts the bound adds to them are kept by deltas on every path: a random sequence of every
/// kind of operation (sets of growing and shrinking values, deletes, updates, bulk writes, Tells, poison keys and
/// their dead letters retried or discarded, transient faults, evictions, expiry on a manual clock, a shutdown with
/// writes left in the journal and their replay) must bring them back to the exact figure each time the cache settles.
/// </summary>
public sealed class AccountingModelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wb-accounting-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>The bytes the JSON serializer gives a value of letters: the text and its two quotes.</summary>
    private static int Bytes(string? value) => value is null ? 0 : value.Length + 2;

    private static WriteBehindCache<string, string> Open(InMemoryStore<string> store, ManualTimeProvider clock, string? journal, int seed) =>
        new(
            store,
            new WriteBehindOptions
            {
                ShardCount = 3,
                Parallelism = 2,
                MaxBatchSize = 4,
                MaxBatchDelay = TimeSpan.FromMilliseconds(5),
                PipelineBufferSize = 4,
                MailboxCapacity = 8,
                MaxPendingEntries = 1_000,
                MaxCachedEntries = seed % 2 == 0 ? 6 : 0,
                TimeToLive = seed % 3 == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero,
                MaxIdle = seed % 3 == 1 ? TimeSpan.FromMilliseconds(700) : TimeSpan.Zero,
                ShutdownTimeout = TimeSpan.Zero,
                Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20), RandomFactor = 0 },
                Journal = journal is null ? null : new JournalOptions { Directory = journal, FsyncPolicy = FsyncPolicy.No, SegmentBytes = 64 * 1024, MaxJournalBytes = 64L * 1024 * 1024 },
            },
            timeProvider: clock,
            jitter: () => 0.0);

    /// <summary>Runs a task to its end while moving the manual clock (batch delays, retry backoffs), so that it cannot wait on the clock for ever.</summary>
    private static async Task<T> Drive<T>(ManualTimeProvider clock, Task<T> task)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the cache never settled");
            clock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.WhenAny(task, Task.Delay(1));
        }

        return await task;
    }

    private static async Task Drive(ManualTimeProvider clock, Task task) =>
        await Drive(clock, task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default));

    private static void AssertSettled(WriteBehindCache<string, string> cache, long entries, long bytes, string when)
    {
        var stats = cache.GetStatistics();
        Assert.True(entries == stats.PendingEntries, $"{when}: {stats.PendingEntries} pending entries, expected {entries}");
        Assert.True(bytes == stats.PendingBytes, $"{when}: {stats.PendingBytes} pending bytes, expected {bytes}");
        Assert.Equal(0, cache.GateAdmitted);
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, true)]
    [InlineData(3, true, false)]
    [InlineData(4, true, true)]
    [InlineData(5, false, true)]
    [InlineData(6, true, true)]
    [InlineData(7, false, true)]
    [InlineData(8, true, true)]
    public async Task RandomOperations_PendingCountsReturnToTheExactFigure(int seed, bool journal, bool sinkRefusals)
    {
        var random = new Random(seed);
        var clock = new ManualTimeProvider();
        var store = new InMemoryStore<string>();
        string? folder = journal ? Path.Combine(_root, "j") : null;
        var cache = Open(store, clock, folder, seed);
        var model = new Dictionary<string, string?>();
        var unknown = new HashSet<string>();
        string Key() => $"k{random.Next(12)}";

        // A retry of an older letter after a delete the store no longer shows resubmits it (README, "The operator
        // API"): the letters of keys deleted since are discarded (the key then holds what the store has).
        async Task RetryOrDiscardAsync(string key)
        {
            if (model.TryGetValue(key, out var latest) && latest is null)
            {
                if (await Drive(clock, cache.DiscardDeadLetterAsync(key).AsTask()))
                {
                    unknown.Add(key);
                }
            }
            else
            {
                await Drive(clock, cache.RetryDeadLetterAsync(key).AsTask());
            }
        }

        // The failed writes the sink refused: Failed, with no letter of their version (the model holds their value).
        async Task<(List<string> Keys, long Bytes)> UnrecordedAsync()
        {
            var keys = new List<string>();
            foreach (var key in model.Keys)
            {
                var status = await cache.GetStatusAsync(key);
                var letters = store.DeadLetters.Letters;
                if (status.State == WriteState.Failed && !(letters.TryGetValue(key, out var letter) && letter.Version == status.Version))
                {
                    keys.Add(key);
                }
            }

            return (keys, keys.Sum(k => (long)Bytes(model[k])));
        }
        string Value() => new('x', random.Next(0, 3) == 0 ? random.Next(0, 4) : random.Next(10, 400));

        try
        {
            for (int op = 0; op < 1_500; op++)
            {
                string key = Key();
                switch (random.Next(24))
                {
                    case < 6:
                        {
                            string value = Value();
                            switch (random.Next(3))
                            {
                                case 0:
                                    await cache.SetAsync(key, value);
                                    break;
                                case 1:
                                    if (!cache.TrySet(key, value))
                                    {
                                        await cache.SetAsync(key, value);
                                    }

                                    break;
                                default:
                                    await Drive(clock, cache.SetAsync(key, value, WriteConsistency.Committed).AsTask()).ContinueWith(_ => { }, TaskScheduler.Default);
                                    break;
                            }

                            model[key] = value;
                            unknown.Remove(key);
                            break;
                        }

                    case < 8:
                        await cache.DeleteAsync(key);
                        model[key] = null;
                        unknown.Remove(key);
                        break;
                    case < 10:
                        {
                            string value = Value();
                            var updated = await Drive(clock, cache.UpdateAsync(key, current => current.Found && current.Value!.Length > 200 ? value[..(value.Length / 2)] : value).AsTask());
                            model[key] = updated.Value;
                            unknown.Remove(key);
                            break;
                        }

                    case < 11:
                        {
                            var items = Enumerable.Range(0, 3).Select(_ => KeyValuePair.Create(Key(), Value())).DistinctBy(kv => kv.Key).ToList();
                            await Drive(clock, cache.SetManyAsync(items).AsTask());
                            foreach (var (k, v) in items)
                            {
                                model[k] = v;
                                unknown.Remove(k);
                            }

                            break;
                        }

                    case < 14:
                        await Drive(clock, cache.TryGetAsync(key).AsTask()).ContinueWith(_ => { }, TaskScheduler.Default);
                        break;
                    case < 15:
                        await cache.EvictAsync(key);
                        break;
                    case < 16:
                        await cache.EvictAllAsync();
                        break;
                    case < 17:
                        if (!store.PoisonKeys.TryRemove(key, out _))
                        {
                            store.PoisonKeys[key] = true;
                        }

                        break;
                    case < 18:
                        store.PoisonKeys.TryRemove(key, out _);
                        await RetryOrDiscardAsync(key);
                        break;
                    case < 19:
                        if (await Drive(clock, cache.DiscardDeadLetterAsync(key).AsTask()))
                        {
                            unknown.Add(key); // the refused write is dropped: the key holds what the store has
                        }

                        break;
                    case < 20:
                        if (random.Next(2) == 0)
                        {
                            store.FailNext(1);
                        }
                        else if (sinkRefusals)
                        {
                            // The dead-letter sink refuses the next letters for good: their failed writes are held
                            // in memory only, and count as pending until the key is written again.
                            store.DeadLetters.FailNext(1, new InvalidOperationException("sink refuses"));
                        }

                        break;
                    case < 22:
                        clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 1200)));
                        break;
                    case < 23:
                        await Drive(clock, cache.FlushAsync());
                        var (flushed, flushedBytes) = await UnrecordedAsync();
                        AssertSettled(cache, flushed.Count, flushedBytes, $"op {op}, after a flush");
                        break;
                    default:
                        if (journal && random.Next(4) == 0)
                        {
                            // Writes left in the journal by a shutdown that could not flush them, then replayed.
                            store.Pause();
                            var left = new Dictionary<string, string?>();
                            for (int i = 0; i < 6; i++)
                            {
                                string k = Key();
                                string? v = random.Next(4) == 0 ? null : Value();
                                if (v is null)
                                {
                                    await cache.DeleteAsync(k);
                                }
                                else
                                {
                                    await cache.SetAsync(k, v);
                                }

                                left[k] = model[k] = v;
                                unknown.Remove(k);
                            }

                            await cache.ShutdownAsync();
                            store.Resume();
                            foreach (var k in store.PoisonKeys.Keys)
                            {
                                store.PoisonKeys.TryRemove(k, out _);
                            }

                            // Dead letters of the old run are not in memory any more: retry them so the model holds.
                            foreach (var letter in store.DeadLetters.Letters.Keys.ToList())
                            {
                                left.TryAdd(letter, model.GetValueOrDefault(letter));
                            }

                            cache = Open(store, clock, folder, seed);
                            foreach (var letter in store.DeadLetters.Letters.Keys.ToList())
                            {
                                await RetryOrDiscardAsync(letter);
                            }

                            await Drive(clock, cache.FlushAsync());
                            var (replayed, replayedBytes) = await UnrecordedAsync();
                            AssertSettled(cache, replayed.Count, replayedBytes, $"op {op}, after the replay");
                        }
                        else
                        {
                            // With the store paused, exactly the keys written since count, at their latest value
                            // (once the batches already in flight before the pause have landed).
                            await Drive(clock, cache.FlushAsync());
                            var (held, _) = await UnrecordedAsync();
                            store.Pause();
                            var written = new Dictionary<string, string?>();
                            for (int i = 0; i < 5; i++)
                            {
                                string k = Key();
                                string? v = random.Next(4) == 0 ? null : Value();
                                if (v is null)
                                {
                                    await cache.DeleteAsync(k);
                                }
                                else
                                {
                                    await cache.SetAsync(k, v);
                                }

                                written[k] = model[k] = v;
                                unknown.Remove(k);
                            }

                            // Nothing has landed: each key's latest value, plus any value replaced while in flight.
                            var stats = cache.GetStatistics();
                            int expectedEntries = written.Count + held.Count(k => !written.ContainsKey(k));
                            long leastBytes = written.Values.Sum(Bytes) + held.Where(k => !written.ContainsKey(k)).Sum(k => Bytes(model[k]));
                            Assert.True(expectedEntries == stats.PendingEntries, $"op {op}: {stats.PendingEntries} pending entries, expected {expectedEntries}");
                            Assert.True(leastBytes <= stats.PendingBytes, $"op {op}: {stats.PendingBytes} pending bytes, fewer than the {leastBytes} held");
                            store.Resume();
                            await Drive(clock, cache.FlushAsync());
                            var (after, afterBytes) = await UnrecordedAsync();
                            AssertSettled(cache, after.Count, afterBytes, $"op {op}, after the paused writes landed");
                        }

                        break;
                }

                var now = cache.GetStatistics();
                Assert.True(now.PendingEntries >= 0 && now.PendingBytes >= 0, $"op {op}: {now.PendingEntries} entries, {now.PendingBytes} bytes");
            }

            // Settle: every poison key cured and its letter retried, every failed write held only in memory written
            // again; then nothing is pending and the store holds the model.
            store.PoisonKeys.Clear();
            await Drive(clock, cache.FlushAsync());
            while (true)
            {
                try
                {
                    await store.DeadLetters.WriteAsync([], default);
                    break;
                }
                catch (InvalidOperationException)
                {
                    // a refusal scripted and not used up
                }
            }

            foreach (var key in (await UnrecordedAsync()).Keys)
            {
                await cache.SetAsync(key, model[key]!);
            }

            foreach (var letter in store.DeadLetters.Letters.Keys.ToList())
            {
                await RetryOrDiscardAsync(letter);
            }

            await Drive(clock, cache.FlushAsync());
            AssertSettled(cache, 0, 0, "at the end");
            Assert.Empty(store.DeadLetters.Letters);
            foreach (var (key, value) in model.Where(kv => !unknown.Contains(kv.Key)))
            {
                store.Rows.TryGetValue(key, out var row);
                Assert.True(value == (row is null ? null : Harness.Text(row.Value)), $"{key}: stored {(row is null ? "null" : Harness.Text(row.Value))}, latest write {value ?? "null"}");
            }

            await cache.EvictAllAsync();
            Assert.Equal(0, cache.GetStatistics().CachedEntries);
        }
        finally
        {
            store.Resume();
            await cache.DisposeAsync();
        }
    }
}
