using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Randomized writers at a small bound: the backlog never passes the bound by more than one write per caller, a
/// cancelled or refused write is never applied while every write answered as taken is, and writers racing a shutdown
/// are either stored or refused, never acknowledged and dropped.
/// </summary>
public sealed class BoundsStressTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 4)]
    [InlineData(3, 64)]
    public async Task ConcurrentWriters_NeverOvershootTheBoundByMoreThanOnePerCaller(int seed, int mailbox)
    {
        var store = new InMemoryStore<string> { WriteLatency = TimeSpan.FromMilliseconds(1) };
        const int Bound = 10, Writers = 6;
        var options = Harness.Options(o => o with { ShardCount = 3, MaxPendingEntries = Bound, MailboxCapacity = mailbox, MaxBatchSize = 4, MaxBatchDelay = TimeSpan.FromMilliseconds(1) });
        await using var cache = Harness.Cache(store, options);
        long max = 0;
        void Sample()
        {
            long now = cache.GetStatistics().PendingEntries;
            long seen;
            while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 100 + w);
            for (int i = 0; i < 150; i++)
            {
                string key = $"w{w}-{i}";
                switch (random.Next(4))
                {
                    case 0:
                        await cache.SetAsync(key, "v");
                        break;
                    case 1:
                        try
                        {
                            await cache.SetManyAsync([new(key, "v"), new(key + "b", "v"), new(key + "c", "v")]);
                        }
                        catch (BulkWriteException)
                        {
                        }

                        break;
                    case 2:
                        using (var cts = new CancellationTokenSource(random.Next(3)))
                        {
                            try
                            {
                                await cache.SetAsync(key, "v", cts.Token);
                            }
                            catch (OperationCanceledException)
                            {
                            }
                        }

                        break;
                    default:
                        cache.TrySet(key, "v");
                        break;
                }

                Sample();
            }
        })).ToArray();
        var sampler = Task.Run(async () =>
        {
            while (!writers.All(t => t.IsCompleted))
            {
                Sample();
                await Task.Yield();
            }
        });
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await sampler;
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal(0, cache.GateAdmitted);
        Assert.True(max <= Bound + Writers, $"max pending {max}");
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 2, false)]
    [InlineData(3, 64, false)]
    [InlineData(4, 1, true)]
    [InlineData(5, 3, true)]
    public async Task CancelledWrites_AreNeverApplied_AndTakenOnesAlwaysAre(int seed, int mailbox, bool fail)
    {
        var store = new InMemoryStore<string> { WriteLatency = TimeSpan.FromMilliseconds(1) };
        const int Writers = 6;
        var options = Harness.Options(o => o with { ShardCount = 2, MaxPendingEntries = 4, MailboxCapacity = mailbox, MaxBatchSize = 3, MaxBatchDelay = TimeSpan.FromMilliseconds(1), OverflowStrategy = fail ? OverflowStrategy.Fail : OverflowStrategy.Backpressure });
        await using var cache = Harness.Cache(store, options);
        var made = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 100 + w);
            for (int i = 0; i < 120; i++)
            {
                string key = $"w{w}-{i}";
                using var cts = new CancellationTokenSource();
                if (random.Next(2) == 0)
                {
                    cts.CancelAfter(random.Next(2));
                }

                if (random.Next(3) == 0)
                {
                    var keys = new[] { key, key + "b", key + "c" };
                    try
                    {
                        await cache.SetManyAsync(keys.Select(k => new KeyValuePair<string, string>(k, "v")), cancellationToken: cts.Token);
                        foreach (var k in keys)
                        {
                            made[k] = true;
                        }
                    }
                    catch (BulkWriteException error)
                    {
                        for (int j = 0; j < keys.Length; j++)
                        {
                            var failure = error.Failures.FirstOrDefault(f => f.Index == j);
                            made[keys[j]] = j < error.Taken && failure is null;
                            if (failure is not null && failure.Error is not (OperationCanceledException or CacheOverflowException))
                            {
                                throw new InvalidOperationException("unexpected", failure.Error);
                            }
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        foreach (var k in keys)
                        {
                            made[k] = false;
                        }
                    }
                }
                else
                {
                    try
                    {
                        await cache.SetAsync(key, "v", cts.Token);
                        made[key] = true;
                    }
                    catch (OperationCanceledException)
                    {
                        made[key] = false;
                    }
                    catch (CacheOverflowException)
                    {
                        made[key] = false;
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal(0, cache.GateAdmitted);
        var wrong = made.Where(m => m.Value != store.Rows.ContainsKey(m.Key)).Select(m => $"{m.Key}: told {(m.Value ? "made" : "not made")}").ToList();
        Assert.True(wrong.Count == 0, string.Join(", ", wrong.Take(10)) + $" ({wrong.Count} of {made.Count}, {made.Count(m => !m.Value)} not made)");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 4)]
    [InlineData(3, 1)]
    [InlineData(4, 64)]
    public async Task WritersRacingShutdown_EveryAcknowledgedWriteIsStored_NoRefusedOneIs(int seed, int mailbox)
    {
        var store = new InMemoryStore<string> { WriteLatency = TimeSpan.FromMilliseconds(1) };
        var options = Harness.Options(o => o with { ShardCount = 2, MaxPendingEntries = 5, MailboxCapacity = mailbox, MaxBatchSize = 4, MaxBatchDelay = TimeSpan.FromMilliseconds(1), ShutdownTimeout = TimeSpan.FromSeconds(20) });
        var cache = Harness.Cache(store, options);
        var made = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        using var started = new CountdownEvent(4);
        int ops = 0;
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 10 + w);
            started.Signal();
            var fired = new List<(string[] Keys, Task Task)>();
            for (int i = 0; i < 400; i++)
            {
                string key = $"w{w}-{i}";
                try
                {
                    switch (random.Next(4))
                    {
                        case 0:
                            fired.Add(([key], cache.SetAsync(key, "v").AsTask()));
                            break;
                        case 1:
                            fired.Add(([key, key + "b"], cache.SetManyAsync([new(key, "v"), new(key + "b", "v")]).AsTask()));
                            break;
                        case 2:
                            made[key] = cache.TrySet(key, "v");
                            break;
                        default:
                            await cache.SetAsync(key, "v", WriteConsistency.Accepted);
                            made[key] = true;
                            break;
                    }
                }
                catch (ObjectDisposedException)
                {
                    made[key] = false;
                }

                if (Interlocked.Increment(ref ops) == 300 + (seed * 100))
                {
                    halfway.TrySetResult();
                }

                if (i % 50 == 0)
                {
                    await Task.Yield();
                }
            }

            foreach (var (keys, task) in fired)
            {
                try
                {
                    await task;
                    foreach (var k in keys)
                    {
                        made[k] = true;
                    }
                }
                catch (ObjectDisposedException)
                {
                    foreach (var k in keys)
                    {
                        made[k] = false;
                    }
                }
                catch (BulkWriteException error)
                {
                    for (int j = 0; j < keys.Length; j++)
                    {
                        var failure = error.Failures.FirstOrDefault(f => f.Index == j);
                        Assert.True(failure is null || failure.Error is ObjectDisposedException, failure?.Error.ToString());
                        made[keys[j]] = j < error.Taken && failure is null;
                    }
                }
            }
        })).ToArray();
        started.Wait();
        await halfway.Task.Within();
        var flush = Task.Run(() => cache.FlushAsync());
        var report = await cache.ShutdownAsync().Within();
        await Task.WhenAll(writers).Within();
        try
        {
            await flush;
        }
        catch (ObjectDisposedException)
        {
        }

        Assert.True(report.Flushed, report.ToString());
        var wrong = made.Where(m => m.Value != store.Rows.ContainsKey(m.Key)).Select(m => $"{m.Key}: told {(m.Value ? "made" : "not made")}").ToList();
        Assert.True(wrong.Count == 0, string.Join(", ", wrong.Take(10)) + $" ({wrong.Count} of {made.Count}, {made.Count(m => m.Value)} made)");
    }
}
