using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Many callers at a small bound and small mailboxes, each firing bulk writes it does not await among Asks, Tells and
/// cancelled writes: each key must end at its caller's last write that was taken (the writes of one caller land in
/// the order it made them), and no admission of the capacity gate is left.
/// </summary>
public sealed class BulkWriteStressTests
{
    /// <summary>One write a caller made: its sequence number (the value written, null for a delete) and whether it was taken.</summary>
    private sealed record Made(string Key, int Sequence, bool Delete, Func<bool> Taken);

    [Theory]
    [InlineData(1, 1, 4, false)]
    [InlineData(2, 2, 4, false)]
    [InlineData(3, 1, 1, false)]
    [InlineData(4, 1, 4, true)]
    [InlineData(5, 2, 1, true)]
    public async Task ManyCallers_UnawaitedBulkWritesAmongAsksTellsAndCancellations_EachKeyEndsAtItsCallersLastTakenWrite(int seed, int mailbox, int shards, bool journal)
    {
        string folder = Path.Combine(Path.GetTempPath(), "wb-bulk-stress-" + Guid.NewGuid().ToString("N"));
        int unobserved = 0;
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        string name = $"bulk-stress-{seed}";
        EventHandler<UnobservedTaskExceptionEventArgs> count = (_, e) =>
        {
            // Only this test's cache: other tests running meanwhile may leave their own tasks unobserved.
            string text = e.Exception.ToString();
            if (text.Contains(name, StringComparison.Ordinal) || text.Contains("WriteManyAsync", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref unobserved);
                seen.Add(text);
            }
        };
        TaskScheduler.UnobservedTaskException += count;
        try
        {
            await RunAsync(seed, mailbox, shards, journal ? folder : null, name);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.True(Volatile.Read(ref unobserved) == 0, string.Join("\n----\n", seen.Take(3)));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= count;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task RunAsync(int seed, int mailbox, int shards, string? journalFolder, string name)
    {
        // A store slow enough that the writers keep the cache at its bound: writes wait at the gate and for mailbox room.
        var store = new InMemoryStore<string> { WriteLatency = TimeSpan.FromMilliseconds(1) };
        var options = Harness.Options(o => o with
        {
            ShardCount = shards,
            Parallelism = 1,
            MaxPendingEntries = 5,
            MailboxCapacity = mailbox,
            MaxBatchSize = 3,
            MaxBatchDelay = TimeSpan.FromMilliseconds(1),
            Journal = journalFolder is null ? null : new WriteBehindAkka.Journal.JournalOptions { Directory = journalFolder, FsyncPolicy = WriteBehindAkka.Journal.FsyncPolicy.Always, SegmentBytes = 64 * 1024 },
        });
        await using var cache = new WriteBehindCache<string, string>(store, options, name: name, jitter: () => 0.0);
        const int Writers = 8, Rounds = 120, Keys = 3;

        async Task<List<Made>> Writer(int writer)
        {
            var random = new Random((seed * 1000) + writer);
            var made = new List<Made>();
            var pending = new List<Task>();
            var cancellations = new List<CancellationTokenSource>();
            int sequence = 0;
            string KeyOf(int k) => $"w{writer}-k{k}";

            for (int round = 0; round < Rounds; round++)
            {
                int choice = random.Next(7);
                switch (choice)
                {
                    case 0:
                    case 1:
                    {
                        // A bulk write not awaited, often longer than the bound, its keys repeated.
                        int count = 2 + random.Next(9);
                        var list = new List<(string Key, int Sequence, bool Delete)>();
                        for (int i = 0; i < count; i++)
                        {
                            list.Add((KeyOf(random.Next(Keys)), ++sequence, false));
                        }

                        // Accepted, perhaps with a token cancelled at once or a moment later; or a level that
                        // waits (no token then: a cancelled wait for that level leaves the write standing).
                        var consistency = random.Next(4) switch
                        {
                            0 => WriteConsistency.Committed,
                            1 when journalFolder is not null => WriteConsistency.Journaled,
                            _ => WriteConsistency.Accepted,
                        };
                        CancellationTokenSource? cancel = consistency == WriteConsistency.Accepted && random.Next(3) == 0 ? new CancellationTokenSource() : null;
                        if (cancel is not null)
                        {
                            cancellations.Add(cancel);
                        }

                        bool delete = random.Next(5) == 0;
                        Task<BulkWriteResult> bulk;
                        if (delete)
                        {
                            list = list.Select(w => (w.Key, w.Sequence, true)).ToList();
                            bulk = cache.DeleteManyAsync(list.Select(w => w.Key).ToList(), consistency, cancel?.Token ?? default).AsTask();
                        }
                        else
                        {
                            bulk = cache.SetManyAsync(list.Select(w => new KeyValuePair<string, string>(w.Key, $"{w.Sequence}")).ToList(), consistency, cancel?.Token ?? default).AsTask();
                        }

                        if (cancel is not null && random.Next(2) == 0)
                        {
                            cancel.Cancel();
                        }
                        else
                        {
                            cancel?.CancelAfter(random.Next(3));
                        }

                        pending.Add(bulk.ContinueWith(static _ => { }, TaskScheduler.Default));
                        for (int i = 0; i < list.Count; i++)
                        {
                            int index = i;
                            made.Add(new Made(list[i].Key, list[i].Sequence, list[i].Delete, () => BulkTook(bulk, index)));
                        }

                        break;
                    }

                    case 2 or 3:
                    {
                        // An Ask not awaited (2), or one cancelled at once (3): taken or not, as its task says.
                        string key = KeyOf(random.Next(Keys));
                        int value = ++sequence;
                        var cancel = choice == 3 ? new CancellationTokenSource() : null;
                        if (cancel is not null)
                        {
                            cancellations.Add(cancel);
                        }

                        var write = cache.SetAsync(key, $"{value}", cancel?.Token ?? default).AsTask();
                        cancel?.Cancel();
                        pending.Add(write.ContinueWith(static _ => { }, TaskScheduler.Default));
                        made.Add(new Made(key, value, false, () => write.IsCompletedSuccessfully));
                        break;
                    }

                    case 4:
                    {
                        // A Tell: refused while writers wait for room, or past the bound.
                        string key = KeyOf(random.Next(Keys));
                        int value = ++sequence;
                        bool taken = cache.TrySet(key, $"{value}");
                        made.Add(new Made(key, value, false, () => taken));
                        break;
                    }

                    case 5:
                    {
                        // A bulk write awaited.
                        string key = KeyOf(random.Next(Keys));
                        int first = ++sequence, second = ++sequence;
                        var bulk = cache.SetManyAsync([new(key, $"{first}"), new(key, $"{second}")]).AsTask();
                        try
                        {
                            await bulk;
                        }
                        catch (BulkWriteException)
                        {
                        }

                        made.Add(new Made(key, first, false, () => BulkTook(bulk, 0)));
                        made.Add(new Made(key, second, false, () => BulkTook(bulk, 1)));
                        break;
                    }

                    default:
                    {
                        string key = KeyOf(random.Next(Keys));
                        int value = ++sequence;
                        await cache.SetAsync(key, $"{value}");
                        made.Add(new Made(key, value, false, () => true));
                        break;
                    }
                }
            }

            await Task.WhenAll(pending);
            cancellations.ForEach(c => c.Dispose());
            return made;
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => Writer(w))).ToArray();
        var all = await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal(0, cache.GateAdmitted);
        Assert.False(cache.IsAtBound);

        foreach (var made in all)
        {
            foreach (var byKey in made.GroupBy(m => m.Key))
            {
                // The caller's writes of a key land in the order it made them: the key ends at the last one taken.
                var last = byKey.Where(m => m.Taken()).MaxBy(m => m.Sequence);
                string? expected = last is null || last.Delete ? null : $"{last.Sequence}";
                Assert.Equal(expected, await cache.GetAsync(byKey.Key));
                Assert.Equal(expected, store.Rows.TryGetValue(byKey.Key, out var row) && row.Value is { } value ? Harness.Text(value) : null);
            }
        }

        Assert.True(cache.TrySet("after", "v"), "a Tell goes in once the writers are done");
    }

    /// <summary>Whether a bulk write's write at <paramref name="index"/> was taken: the call succeeded, or it is among the taken and not a failure.</summary>
    private static bool BulkTook(Task<BulkWriteResult> bulk, int index)
    {
        if (bulk.IsCompletedSuccessfully)
        {
            return true;
        }

        if (bulk.Exception?.InnerException is BulkWriteException error)
        {
            return index < error.Taken && error.Failures.All(f => f.Index != index);
        }

        return false; // cancelled before the call: nothing was taken
    }
}
