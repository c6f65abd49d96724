using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Real threads on the read path: per key one writer (sets, deletes, updates, and reads of its own writes), readers of
/// every kind (some cancelled at random moments), and evictions on request and past a small bound, over a store whose
/// loads take a random moment. Every read must answer a write at least as new as the last one acknowledged before it
/// began (the writer's own reads: exactly its last write), and the store must hold each key's last write at the end.
/// </summary>
public sealed class ReadStressTests
{
    private const int Keys = 6;

    /// <summary>The in-memory store with loads that yield and take a random moment.</summary>
    private sealed class JitteryLoadStore(int seed) : IWriteBehindStore<string>
    {
        private readonly ThreadLocal<Random> _random = new(() => new Random(seed ^ Environment.CurrentManagedThreadId));

        public InMemoryStore<string> Inner { get; } = new();

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) =>
            Inner.WriteBatchAsync(batch, cancellationToken);

        public async ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken)
        {
            var row = await Inner.LoadAsync(key, cancellationToken);
            await PauseAsync();
            return row;
        }

        public async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            var rows = await Inner.LoadManyAsync(keys, cancellationToken);
            await PauseAsync();
            return rows;
        }

        public StoreErrorKind Classify(Exception error) => Inner.Classify(error);

        private async Task PauseAsync()
        {
            int pause = _random.Value!.Next(4);
            if (pause == 0)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(pause);
            }
        }
    }

    /// <summary>One key's writes: op i wrote "k:i" (or deleted the key); Acked is how many were acknowledged.</summary>
    private sealed class KeyLog
    {
        public readonly List<bool> Deleted = [];
        public int Acked;
        public int Started;
        public int MaxAttempts;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task WritersReadersAndEvictions_EveryReadIsAtLeastTheLastAcknowledgedWrite(int seed)
    {
        var store = new JitteryLoadStore(seed);
        var options = Harness.Options(o => o with { ShardCount = 2, MaxCachedEntries = 2, MaxBatchSize = 4, MailboxCapacity = 8 });
        await using var cache = new WriteBehindCache<string, string>(store, options, jitter: () => 0.0);
        var logs = Enumerable.Range(0, Keys).Select(_ => new KeyLog()).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        // A read began when `floor` writes were acknowledged and ended when `started` had begun: its answer must be
        // one of the writes floor-1 .. started-1 (or no value for a delete among them, or before any write).
        void Check(int k, int floor, string? value, string what)
        {
            var log = logs[k];
            int started;
            bool[] deleted;
            lock (log)
            {
                started = log.Started;
                deleted = [.. log.Deleted];
            }

            if (value is null)
            {
                bool ok = floor == 0 || Enumerable.Range(floor - 1, started - floor + 1).Any(i => deleted[i]);
                if (!ok)
                {
                    failures.Enqueue($"{what} of k{k}: no value, but no delete at or after acknowledged op {floor - 1}");
                }

                return;
            }

            int index = int.Parse(value.AsSpan(value.IndexOf(':') + 1));
            if (index < floor - 1 || index >= started || deleted[index])
            {
                failures.Enqueue($"{what} of k{k}: '{value}', acknowledged op {floor - 1}, ops begun {started}");
            }
        }

        async Task Writer(int k)
        {
            var random = new Random((seed * 100) + k);
            var log = logs[k];
            string key = $"k{k}";
            string? mine = null;
            while (!stop.IsCancellationRequested)
            {
                await Task.Yield(); // as for the readers
                int op;
                int choice = random.Next(10);
                lock (log)
                {
                    op = log.Started++;
                    log.Deleted.Add(choice == 0);
                }

                string next = $"k{k}:{op}";
                if (choice == 0)
                {
                    await cache.DeleteAsync(key);
                    mine = null;
                }
                else if (choice < 4)
                {
                    var expected = mine;
                    var result = await cache.UpdateAsync(key, current =>
                    {
                        if (current.Value != expected)
                        {
                            failures.Enqueue($"update of {key} read '{current.Value}', its writer's last write was '{expected}'");
                        }

                        return next;
                    });
                    lock (log)
                    {
                        log.MaxAttempts = Math.Max(log.MaxAttempts, result.Attempts);
                    }

                    mine = next;
                }
                else
                {
                    var level = random.Next(4) == 0 ? WriteConsistency.Committed : WriteConsistency.Accepted;
                    await cache.SetAsync(key, next, level);
                    mine = next;
                }

                lock (log)
                {
                    log.Acked = op + 1;
                }

                if (random.Next(3) == 0)
                {
                    string? read = await cache.GetAsync(key);
                    if (read != mine)
                    {
                        failures.Enqueue($"{key}'s writer read '{read}' after writing '{mine}'");
                    }
                }
            }
        }

        async Task Reader(int r)
        {
            var random = new Random((seed * 1000) + r);
            while (!stop.IsCancellationRequested)
            {
                await Task.Yield(); // a read answered from memory completes at once: without this the loop holds its thread
                int k = random.Next(Keys), k2 = random.Next(Keys);
                int floor, floor2;
                lock (logs[k])
                {
                    floor = logs[k].Acked;
                }

                lock (logs[k2])
                {
                    floor2 = logs[k2].Acked;
                }

                using var cancel = new CancellationTokenSource();
                if (random.Next(4) == 0)
                {
                    cancel.CancelAfter(TimeSpan.FromMilliseconds(random.Next(3)));
                }

                try
                {
                    switch (random.Next(3))
                    {
                        case 0:
                            Check(k, floor, await cache.GetAsync($"k{k}", cancel.Token), "GetAsync");
                            break;
                        case 1:
                            var lookup = await cache.TryGetAsync($"k{k}", cancel.Token);
                            Check(k, floor, lookup.Found ? lookup.Value : null, "TryGetAsync");
                            break;
                        default:
                            var many = await cache.GetManyAsync([$"k{k}", $"k{k2}"], cancel.Token);
                            Check(k, floor, many.GetValueOrDefault($"k{k}"), "GetManyAsync");
                            Check(k2, floor2, many.GetValueOrDefault($"k{k2}"), "GetManyAsync");
                            break;
                    }
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                }
            }
        }

        async Task Evictor()
        {
            var random = new Random(seed * 7);
            while (!stop.IsCancellationRequested)
            {
                if (random.Next(10) == 0)
                {
                    await cache.EvictAllAsync();
                }
                else
                {
                    await cache.EvictAsync($"k{random.Next(Keys)}");
                }

                await Task.Delay(random.Next(2));
            }
        }

        var tasks = Enumerable.Range(0, Keys).Select(k => Task.Run(() => Writer(k)))
            .Concat(Enumerable.Range(0, 3).Select(r => Task.Run(() => Reader(r))))
            .Append(Task.Run(Evictor))
            .ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        await cache.FlushAsync().WaitAsync(Harness.Within);

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        for (int k = 0; k < Keys; k++)
        {
            int last = logs[k].Started - 1;
            if (logs[k].Deleted[last])
            {
                Assert.False(store.Inner.Rows.ContainsKey($"k{k}"), $"k{k} was deleted last");
            }
            else
            {
                Assert.Equal($"k{k}:{last}", Harness.Text(store.Inner.Rows[$"k{k}"].Value));
            }

            Assert.True(last > 10, $"k{k} made only {last + 1} writes; an update took up to {logs[k].MaxAttempts} attempts");
        }
    }
}
