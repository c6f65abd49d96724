using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// One driver, one cache over the in-memory store and a manual clock, random steps against a per-key model of the
/// read path: writes, deletes, reads of every kind, updates, evictions on request, clock advances, store pauses and
/// faults, and rows changed by "another process". With <c>MaxCachedEntries</c>, <c>TimeToLive</c> and <c>MaxIdle</c>
/// each on or off. After each step: every read answers the cache's latest write, or, for a key changed elsewhere
/// since, the old value or the new row, and the new row once eviction on request, the time to live or the idle time
/// says the old one is gone; the number of entries respects the bound (pending entries aside); clean entries leave
/// memory once their time is out and the shard's timer ran; and the store holds every acknowledged write at the end.
/// </summary>
public sealed class RandomizedReadModelTests
{
    private const int Keys = 10;
    private const int ShardCount = 2;
    private const int MaxEntries = 4;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(3); // the idle note rounds up to a millisecond

    private sealed class KeyModel
    {
        /// <summary>The cache's latest write of the key (or the value it last read of it): null for none.</summary>
        public string? Mine;

        /// <summary>Changed by another process since: the row it left (null: deleted).</summary>
        public bool External;
        public string? Theirs;
        public long ChangedAt;
        public bool MustBeFresh;
        public long LastReadAt;

        /// <summary>Without a bound or a time to live: until when the key is surely in memory (read then, not evicted since), so a read must not load it.</summary>
        public long InMemoryUntil;

        /// <summary>With a time to live: a time the key's entry was clean at or after (its row loaded by a read then); 0 when unknown.</summary>
        public long CleanSince;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(9)] // from 8 on, with a write delay: writes stay pending until the clock moves on or a flush
    [InlineData(14)]
    [InlineData(15)]
    public async Task RandomReadPathSteps_EveryReadIsFreshEnough_BoundsHold_NothingAcknowledgedIsLost(int config)
    {
        int seeds = int.TryParse(Environment.GetEnvironmentVariable("WB_MODEL_SEEDS"), out int n) ? n : 6;
        int steps = int.TryParse(Environment.GetEnvironmentVariable("WB_MODEL_STEPS"), out int s) ? s : 300;
        int only = int.TryParse(Environment.GetEnvironmentVariable("WB_MODEL_SEED"), out int o) ? o : 0;
        for (int seed = 1; seed <= seeds; seed++)
        {
            if (only != 0 && (seed * 8) + config != only)
            {
                continue;
            }

            await RunAsync((seed * 8) + config, config, steps);
        }
    }

    internal static async Task RunAsync(int seed, int config, int steps)
    {
        bool bounded = (config & 1) != 0, ttl = (config & 2) != 0, idle = (config & 4) != 0, delay = (config & 8) != 0;
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var options = Harness.Options(o => o with
        {
            ShardCount = ShardCount,
            MaxCachedEntries = bounded ? MaxEntries : 0,
            TimeToLive = ttl ? Ttl : TimeSpan.Zero,
            MaxIdle = idle ? Idle : TimeSpan.Zero,
            WriteDelay = delay ? TimeSpan.FromSeconds(1) : TimeSpan.Zero,
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2), RandomFactor = 0 },
        });
        await using var cache = Harness.Cache(store, options, clock);
        var random = new Random(seed);
        var model = Enumerable.Range(0, Keys).ToDictionary(i => $"k{i}", _ => new KeyModel());
        bool paused = false;
        var log = new List<string>();
        int unique = 0;
        string Fresh() => $"v{++unique}";

        void Fail(string message) =>
            Assert.Fail($"seed {seed} (config {config}: bounded {bounded}, ttl {ttl}, idle {idle}): {message}\n  last steps:\n    {string.Join("\n    ", log.TakeLast(int.TryParse(Environment.GetEnvironmentVariable("WB_MODEL_LOG"), out int l) ? l : 25))}");

        async Task<T> SettleAsync<T>(Task<T> task)
        {
            // Waits for the cache; advances the clock only when it waits on it (a retry's backoff), resumes a paused
            // store only when it waits on the store. The model reads the clock, so neither changes what it expects.
            var budget = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (true)
            {
                if (await Task.WhenAny(task, Task.Delay(3)) == task)
                {
                    return await task;
                }

                if (DateTime.UtcNow > budget)
                {
                    Fail("a call never completed");
                }

                if (paused)
                {
                    store.Resume();
                    paused = false;
                    log.Add("  (resumed to let a load or flush through)");
                }
                else if (clock.NextDue is { } next)
                {
                    clock.Advance(next);
                }
            }
        }

        async Task FlushAsync() => await SettleAsync(cache.FlushAsync());

        long Now() => clock.GetTimestamp();

        // A read of key answered "seen": check it against the model and move the model on.
        void Check(string key, string? seen, bool mustBeFresh, string what)
        {
            var m = model[key];
            if (!m.External)
            {
                if (seen != m.Mine)
                {
                    Fail($"{what} {key}: read {seen ?? "null"}, latest write {m.Mine ?? "null"}");
                }
            }
            else if (seen == m.Theirs)
            {
                m.External = false; // the cache holds the new row now
                m.Mine = seen;
            }
            else if (seen != m.Mine)
            {
                Fail($"{what} {key}: read {seen ?? "null"}, neither the cache's {m.Mine ?? "null"} nor the store's {m.Theirs ?? "null"}");
            }
            else if (mustBeFresh)
            {
                Fail($"{what} {key}: read the old {seen ?? "null"}, but the row changed to {m.Theirs ?? "null"} at {m.ChangedAt} (now {Now()}) and the entry must be gone (evicted on request {m.MustBeFresh}, last read {m.LastReadAt})");
            }
        }

        bool MustBeFresh(string key)
        {
            var m = model[key];
            if (!m.External)
            {
                return false;
            }

            long now = Now();
            return m.MustBeFresh
                || (ttl && now - m.ChangedAt >= (Ttl + Slack).Ticks)
                || (idle && now - Math.Max(m.ChangedAt, m.LastReadAt) >= (Idle + Slack).Ticks);
        }

        // Without a bound on entries or a time to live, a key read stays in memory for MaxIdle after the read (for
        // ever without one) unless evicted on request: a read in that time is answered without a load.
        // With a time to live, from a load's read on: until its time to live is out, or its idle time if sooner.
        bool tracksMemory = !bounded;
        void NoteInMemory(string key, long readAt)
        {
            var m = model[key];
            long until = !tracksMemory ? 0 : idle ? readAt + (Idle - Slack).Ticks : long.MaxValue;
            if (ttl)
            {
                until = m.CleanSince == 0 ? 0 : Math.Min(until, m.CleanSince + (Ttl - Slack).Ticks);
            }

            m.InMemoryUntil = until;
        }

        void CheckNoLoad(string key, int loadsBefore, string what)
        {
            if (tracksMemory && Now() < model[key].InMemoryUntil && store.LoadsOf(key) != loadsBefore)
            {
                Fail($"{what} {key}: loaded, though read at {model[key].LastReadAt} (now {Now()}) and not evicted since: {(idle ? "its idle time is not out" : "nothing drops it")}");
            }
        }

        async Task CheckBoundAsync()
        {
            if (!bounded)
            {
                return;
            }

            int share = (MaxEntries + ShardCount - 1) / ShardCount;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (true)
            {
                var stats = cache.GetStatistics();
                if (stats.CachedEntries <= (share * ShardCount) + stats.PendingEntries + stats.FailedKeys)
                {
                    return;
                }

                if (DateTime.UtcNow > until)
                {
                    Fail($"{stats.CachedEntries} entries cached, {stats.PendingEntries} pending, over the bound {share * ShardCount}");
                }

                await Task.Delay(1);
            }
        }

        for (int step = 0; step < steps; step++)
        {
            string key = $"k{(random.Next(2) == 0 ? random.Next(3) : random.Next(Keys))}"; // three hot keys: reads within an idle time
            int op = random.Next(100);
            switch (op)
            {
                case < 18:
                {
                    string value = Fresh();
                    var level = random.Next(6) == 0 ? WriteConsistency.Committed : WriteConsistency.Accepted;
                    log.Add($"{step}: set {key}={value} {level}");
                    await SettleAsync(cache.SetAsync(key, value, level).AsTask());
                    var m = model[key];
                    (m.Mine, m.External, m.MustBeFresh, m.CleanSince) = (value, false, false, 0);
                    if (ttl)
                    {
                        m.InMemoryUntil = 0;
                    }
                    break;
                }

                case < 24:
                {
                    log.Add($"{step}: delete {key}");
                    await SettleAsync(cache.DeleteAsync(key).AsTask().ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default));
                    var m = model[key];
                    (m.Mine, m.External, m.MustBeFresh, m.CleanSince) = (null, false, false, 0);
                    if (ttl)
                    {
                        m.InMemoryUntil = 0;
                    }
                    break;
                }

                case < 44:
                {
                    // Sometimes the key is read again twice, 0.6 MaxIdle apart: each read must keep it in memory.
                    int reads = idle && random.Next(4) == 0 ? 3 : 1;
                    for (int again = 0; again < reads; again++)
                    {
                        if (again > 0)
                        {
                            log.Add($"{step}: advance {Idle.TotalMilliseconds * 0.6} ms");
                            clock.Advance(Idle * 0.6);
                        }

                        bool fresh = MustBeFresh(key);
                        bool tryGet = random.Next(2) == 0;
                        log.Add($"{step}: {(tryGet ? "tryget" : "get")} {key} (must be fresh: {fresh})");
                        int loadsBefore = store.LoadsOf(key);
                        long readAt = Now();
                        model[key].LastReadAt = readAt;
                        string? seen;
                        try
                        {
                            seen = tryGet
                                ? (await SettleAsync(cache.TryGetAsync(key).AsTask())) is { Found: true } found ? found.Value : null
                                : await SettleAsync(cache.GetAsync(key).AsTask());
                        }
                        catch (InvalidOperationException)
                        {
                            log.Add("  load failed (scripted)");
                            break;
                        }

                        log.Add($"  -> {seen ?? "null"}");
                        CheckNoLoad(key, loadsBefore, "read");
                        Check(key, seen, fresh, "read");
                        if (seen is not null)
                        {
                            if (store.LoadsOf(key) != loadsBefore)
                            {
                                model[key].CleanSince = readAt; // loaded: clean from after the read began
                            }

                            NoteInMemory(key, readAt); // a key without a row is not cached
                        }
                    }

                    break;
                }

                case < 52:
                {
                    var keys = Enumerable.Range(0, random.Next(1, 6)).Select(_ => $"k{random.Next(Keys)}").ToList();
                    var fresh = keys.Distinct().ToDictionary(k => k, MustBeFresh);
                    log.Add($"{step}: getmany {string.Join(",", keys)}");
                    long now = Now();
                    foreach (var k in keys)
                    {
                        model[k].LastReadAt = now;
                    }

                    IReadOnlyDictionary<string, string> found;
                    try
                    {
                        found = await SettleAsync(cache.GetManyAsync(keys).AsTask());
                    }
                    catch (InvalidOperationException)
                    {
                        log.Add("  load failed (scripted)");
                        break;
                    }

                    log.Add($"  -> {string.Join(",", found.Select(kv => $"{kv.Key}={kv.Value}"))}");
                    foreach (var k in fresh.Keys)
                    {
                        Check(k, found.TryGetValue(k, out var v) ? v : null, fresh[k], "getmany");
                    }

                    break;
                }

                case < 62:
                {
                    bool compute = random.Next(2) == 0;
                    var level = random.Next(6) == 0 ? WriteConsistency.Committed : WriteConsistency.Accepted;
                    log.Add($"{step}: {(compute ? "compute" : "update")} {key} {level}");
                    string? given = null;
                    string? made = null;
                    bool fresh = MustBeFresh(key);
                    model[key].LastReadAt = Now();
                    bool deleteIfFound = compute && random.Next(3) == 0;
                    try
                    {
                        if (compute)
                        {
                            await SettleAsync(cache.ComputeAsync(
                                key,
                                current =>
                                {
                                    given = current.Found ? current.Value : null;
                                    made = deleteIfFound && current.Found ? null : Fresh();
                                    return made is null ? default : new CacheLookup<string>(true, made);
                                },
                                level).AsTask());
                        }
                        else
                        {
                            await SettleAsync(cache.UpdateAsync(
                                key,
                                current =>
                                {
                                    given = current.Found ? current.Value : null;
                                    return made = Fresh();
                                },
                                level).AsTask());
                        }
                    }
                    catch (InvalidOperationException)
                    {
                        log.Add("  load failed (scripted)");
                        break;
                    }

                    log.Add($"  ran on {given ?? "null"}, wrote {made ?? "delete"}");
                    Check(key, given, fresh, "update's read");
                    var m = model[key];
                    (m.Mine, m.External, m.MustBeFresh, m.CleanSince) = (made, false, false, 0);
                    if (ttl)
                    {
                        m.InMemoryUntil = 0;
                    }
                    break;
                }

                case < 66:
                {
                    log.Add($"{step}: evict {key}");
                    await SettleAsync(cache.EvictAsync(key).AsTask());
                    model[key].InMemoryUntil = 0;
                    model[key].CleanSince = 0;
                    model[key].MustBeFresh = true; // meaningful only for a key changed elsewhere (never pending then)
                    break;
                }

                case < 68:
                {
                    log.Add($"{step}: evict all");
                    await SettleAsync(cache.EvictAllAsync().AsTask());
                    foreach (var m in model.Values)
                    {
                        m.MustBeFresh = true;
                        m.InMemoryUntil = 0;
                        m.CleanSince = 0;
                    }

                    break;
                }

                case < 70:
                {
                    // A burst of concurrent calls (through the shards' mailboxes as well as inline): writes of some
                    // keys, reads and updates of others, each key touched by one call, or by reads only.
                    var written = new HashSet<string>();
                    var calls = new List<(string Key, string Kind, Task<string?> Task, bool Fresh, Func<string?>? Made)>();
                    foreach (var k in Enumerable.Range(0, random.Next(2, 8)).Select(_ => $"k{random.Next(Keys)}"))
                    {
                        if (written.Contains(k))
                        {
                            continue;
                        }

                        bool readOnly = calls.Any(c => c.Key == k && c.Kind == "read");
                        bool touched = calls.Any(c => c.Key == k);
                        int kind = random.Next(3);
                        if (kind == 0 && !touched)
                        {
                            string value = Fresh();
                            written.Add(k);
                            calls.Add((k, "set", cache.SetAsync(k, value).AsTask().ContinueWith(t => { t.GetAwaiter().GetResult(); return (string?)value; }, TaskScheduler.Default), false, null));
                        }
                        else if (kind == 1 && !touched)
                        {
                            written.Add(k);
                            string? given = null, made = null;
                            bool fresh = MustBeFresh(k);
                            model[k].LastReadAt = Now();
                            calls.Add((k, "update", cache.UpdateAsync(k, current => { given = current.Found ? current.Value : null; return made = $"u{Interlocked.Increment(ref unique)}"; }).AsTask()
                                .ContinueWith(t => { t.GetAwaiter().GetResult(); return given; }, TaskScheduler.Default), fresh, () => made));
                        }
                        else if (!touched || readOnly)
                        {
                            bool fresh = MustBeFresh(k);
                            model[k].LastReadAt = Now();
                            calls.Add((k, "read", cache.GetAsync(k).AsTask(), fresh, null));
                        }
                    }

                    log.Add($"{step}: burst {string.Join(", ", calls.Select(c => $"{c.Kind} {c.Key}"))}");
                    foreach (var (k, kind, task, fresh, made) in calls)
                    {
                        string? result;
                        try
                        {
                            result = await SettleAsync(task);
                        }
                        catch (InvalidOperationException)
                        {
                            log.Add($"  {kind} {k}: load failed (scripted)");
                            continue;
                        }

                        log.Add($"  {kind} {k} -> {result ?? "null"}");
                        var m = model[k];
                        if (kind == "set")
                        {
                            (m.Mine, m.External, m.MustBeFresh, m.CleanSince, m.InMemoryUntil) = (result, false, false, 0, ttl ? 0 : m.InMemoryUntil);
                        }
                        else
                        {
                            Check(k, result, fresh, kind);
                            if (kind == "update")
                            {
                                (m.Mine, m.External, m.MustBeFresh, m.CleanSince, m.InMemoryUntil) = (made!(), false, false, 0, ttl ? 0 : m.InMemoryUntil);
                            }
                        }
                    }

                    break;
                }

                case < 72:
                    log.Add($"{step}: flush");
                    await FlushAsync();
                    break;

                case < 84:
                {
                    var by = random.Next(10) switch
                    {
                        < 4 => TimeSpan.FromMilliseconds(random.Next(1, 5)),
                        < 7 => TimeSpan.FromMilliseconds(random.Next(100, 1_500)),
                        < 9 => TimeSpan.FromSeconds(random.Next(2, 6)),
                        _ => TimeSpan.FromSeconds(random.Next(6, 15)),
                    };
                    log.Add($"{step}: advance {by.TotalMilliseconds} ms");
                    clock.Advance(by);
                    break;
                }

                case < 87:
                    if (paused)
                    {
                        log.Add($"{step}: resume");
                        store.Resume();
                        paused = false;
                    }
                    else
                    {
                        log.Add($"{step}: pause");
                        store.Pause();
                        paused = true;
                    }

                    break;

                case < 89:
                    log.Add($"{step}: fail next {(random.Next(2) == 0 ? "write" : "load")}");
                    if (log[^1].EndsWith("write", StringComparison.Ordinal))
                    {
                        store.FailNext(1);
                    }
                    else
                    {
                        store.FailNextLoads(1);
                    }

                    break;

                case < 97:
                {
                    if (paused)
                    {
                        break;
                    }

                    // Another process changes the row. Everything this cache wrote is in the store first, so the row
                    // is the latest write of the key, and the cache's entry (if any) is clean from before the change.
                    await FlushAsync();
                    var m = model[key];
                    string? theirs = random.Next(4) == 0 ? null : $"theirs{++unique}";
                    log.Add($"{step}: another process {(theirs is null ? "deletes" : "sets")} {key}{(theirs is null ? string.Empty : "=" + theirs)}");
                    if (theirs is null)
                    {
                        store.Unseed(key);
                    }
                    else
                    {
                        // Its clock a second behind: its version is above the rows' (this cache's versions are the
                        // clock's microseconds, a few more at most), and this cache's next write of the key is above it.
                        clock.Advance(TimeSpan.FromSeconds(1));
                        long version = Versioning.FromTimestamp(clock.GetUtcNow()) - 1;
                        Assert.True(!store.Rows.TryGetValue(key, out var row) || row.Version < version);
                        store.Seed(key, Encoding.UTF8.GetBytes($"\"{theirs}\""), version);
                    }

                    if (!m.External)
                    {
                        m.External = true;
                        m.ChangedAt = Now();
                        m.MustBeFresh = false;
                    }

                    m.Theirs = theirs;
                    break;
                }

                default:
                {
                    // Quiet: nothing pending, no read; once every clean entry's time is out (and the shard's timer ran
                    // for the ones behind it), only the entries without a time are left.
                    if (!(ttl || idle))
                    {
                        break;
                    }

                    log.Add($"{step}: quiesce");
                    if (paused)
                    {
                        store.Resume();
                        paused = false;
                    }

                    await FlushAsync();
                    var longest = ttl && idle ? Ttl > Idle ? Idle : Ttl : ttl ? Ttl : Idle; // whichever comes first
                    long target = Now() + (longest * 2).Ticks + Slack.Ticks;
                    var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                    while (cache.GetStatistics().CachedEntries > 0)
                    {
                        if (DateTime.UtcNow > until)
                        {
                            Fail($"{cache.GetStatistics().CachedEntries} entries still cached {(longest * 2).TotalSeconds} s after the last write and read (next timer {clock.NextDue})");
                        }

                        if (clock.NextDue is { } next && Now() + next.Ticks <= target)
                        {
                            clock.Advance(next);
                        }
                        else if (Now() < target && clock.NextDue is null)
                        {
                            await Task.Delay(1); // the shard is still handling a tick; it arms its next timer
                            if (clock.NextDue is null && cache.GetStatistics().CachedEntries > 0 && Now() < target)
                            {
                                clock.Advance(TimeSpan.FromTicks(target - Now()));
                            }
                        }
                        else
                        {
                            await Task.Delay(1);
                        }
                    }

                    foreach (var m in model.Values)
                    {
                        m.MustBeFresh = true; // nothing cached: any read loads the row
                        m.InMemoryUntil = 0;
                        m.CleanSince = 0;
                    }

                    break;
                }
            }

            await CheckBoundAsync();
        }

        if (paused)
        {
            store.Resume();
        }

        await FlushAsync();
        foreach (var (key, m) in model)
        {
            string? expected = m.External ? m.Theirs : m.Mine;
            string? stored = store.Rows.TryGetValue(key, out var row) ? Harness.Text(row.Value) : null;
            if (expected != stored)
            {
                Fail($"{key}: stored {stored ?? "null"} after the final flush, expected {expected ?? "null"}");
            }
        }

        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }
}
