using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Soak;

/// <summary>
/// One soak run: producers write through the cache into <c>soak_scores</c> on a throwaway cluster while faults are
/// injected one after another; at the end the cache is flushed and every key is checked against the last write
/// acknowledged for it.
/// </summary>
internal sealed class SoakRun(SoakOptions options)
{
    private const string Application = "wb_soak";
    private static readonly TimeSpan StatusEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FlushDeadline = TimeSpan.FromMinutes(5);

    private readonly JsonValueSerializer<Score> _serializer = new();

    /// <summary>Reads checked (<c>--read-every</c>), reads whose load failed (the server was down), and stale reads.</summary>
    private long _readsChecked, _readsUnavailable, _readsStale;

    /// <summary>The first stale read, described.</summary>
    private string? _firstStale;
    private long _updatesChecked, _updatesUnavailable, _updatesStale, _updateRetries;
    private string? _firstStaleUpdate;

    public async Task<bool> RunAsync(CancellationToken interrupt)
    {
        if (LocalPostgresCluster.ExternalConnectionString() is not null)
        {
            Console.WriteLine($"Note: {LocalPostgresCluster.ExternalConnectionVariable} is set, but the soak run stops and kills its server, so it starts a throwaway cluster anyway.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Soak run: {options.Duration}, {options.Keys} keys, {options.Producers} producers, poison 1 in {options.PoisonEvery}, seed {options.Seed}{(options.Bulk > 0 ? $", writes up to {options.Bulk} at a time (SetManyAsync)" : string.Empty)}{(options.ReadEvery > 0 ? $", a checked read after 1 write in {options.ReadEvery}" : string.Empty)}{(options.TimeToLiveMs > 0 ? $", TimeToLive {options.TimeToLiveMs} ms" : string.Empty)}{(options.MaxIdleMs > 0 ? $", MaxIdle {options.MaxIdleMs} ms" : string.Empty)}{(options.DeleteEvery > 0 ? $", 1 write in {options.DeleteEvery} a delete{(options.UpdateEvery > 0 ? " (half of them by ComputeAsync)" : string.Empty)}" : string.Empty)}{(options.UpdateEvery > 0 ? $", 1 {(options.DeleteEvery > 0 ? "other " : string.Empty)}write in {options.UpdateEvery} an UpdateAsync" : string.Empty)}, {options.Parallelism} writer lanes. Starting a throwaway PostgreSQL cluster..."));
        await using var cluster = await LocalPostgresCluster.StartAsync(cancellationToken: interrupt);
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString + ";Pooling=false");
        await CreateSchemaAsync(admin);
        var connectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString)
        {
            MaxPoolSize = 4,
            Timeout = 3,
            CommandTimeout = 10,
            ApplicationName = Application,
            Options = "-c statement_timeout=1000",
        }.ConnectionString;
        await using var storeSource = NpgsqlDataSource.Create(connectionString);
        await using var store = new PostgreSqlStore<long, Score>(
            new PostgreSqlStoreOptions { DataSource = storeSource, DeadLetterTable = "soak_dead_letters" },
            _serializer,
            new PostgreSqlTableMapping<long, Score>()
                .Table("soak_scores")
                .Key("id")
                .Column("seq", s => s.Seq, NpgsqlDbType.Bigint)
                .Column("score", s => s.Points, NpgsqlDbType.Integer)
                .VersionColumn("version")
                .FromRow(row => new Score(row.GetInt64(1), row.GetInt32(2))));
        var cacheOptions = new WriteBehindOptions
        {
            ShardCount = 8,
            Parallelism = options.Parallelism,
            MaxBatchSize = 1_000,
            MaxBatchDelay = TimeSpan.FromMilliseconds(10),
            MaxPendingEntries = 10_000,
            MaxCachedEntries = Math.Max(1, options.Keys / 2),
            TimeToLive = TimeSpan.FromMilliseconds(options.TimeToLiveMs),
            MaxIdle = TimeSpan.FromMilliseconds(options.MaxIdleMs),
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromSeconds(1) },
        };
        // The bound counts the writes queued in the mailboxes too: only writes that passed the check at the same
        // instant can overshoot it, one per producer at most.
        long boundWithSlack = cacheOptions.MaxPendingEntries + options.Producers;
        var random = new Random(options.Seed);
        var faults = new FaultInjector(cluster, admin, storeSource, Application, random);
        var ledger = new Ledger(options.Keys, options.Producers);
        long maxPending = 0;
        long maxHeap = 0;
        var clock = Stopwatch.StartNew();

        await using (var cache = new WriteBehindCache<long, Score>(store, cacheOptions, _serializer, name: "soak"))
        {
            using var stopWriting = new CancellationTokenSource();
            var producers = Enumerable.Range(0, options.Producers)
                .Select(p => Task.Run(() => ProduceAsync(cache, ledger, p, stopWriting.Token)))
                .ToArray();
            using var stopSampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                var nextStatus = StatusEvery;
                while (!stopSampling.IsCancellationRequested)
                {
                    maxPending = Math.Max(maxPending, cache.GetStatistics().PendingEntries);
                    maxHeap = Math.Max(maxHeap, GC.GetTotalMemory(false));
                    if (clock.Elapsed >= nextStatus)
                    {
                        nextStatus += StatusEvery;
                        var health = cache.GetHealth();
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:hh\\:mm\\:ss}] {ledger.Acknowledged:N0} writes acknowledged; backlog {health.PendingEntries:N0} (max {maxPending:N0}); {health.Status}: {health.Description}"));
                    }

                    await Task.Delay(50, CancellationToken.None);
                }
            });

            try
            {
                while (clock.Elapsed < options.Duration && !interrupt.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1_000, 3_000)), interrupt);
                    await faults.RunOneAsync(interrupt);
                }
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                Console.WriteLine("Interrupted: stopping the writers and checking what was written so far.");
            }

            await stopWriting.CancelAsync();
            await Task.WhenAll(producers);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:hh\\:mm\\:ss}] Writers stopped after {ledger.Acknowledged:N0} acknowledged writes; flushing {cache.GetStatistics().PendingEntries:N0} pending..."));
            var flush = await cache.FlushAsync().WaitAsync(FlushDeadline, CancellationToken.None);
            await stopSampling.CancelAsync();
            await sampler;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Flushed: {flush.FailedWrites:N0} writes were refused during the run and dead-lettered."));
        }

        var verdict = await Verifier.VerifyAsync(admin, store.DeadLetters!, ledger);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ran {clock.Elapsed:hh\\:mm\\:ss} with {ledger.Acknowledged:N0} acknowledged writes ({ledger.PoisonWrites:N0} poison, {ledger.Deletes:N0} deletes; by producer {string.Join(" / ", ledger.AcknowledgedByProducer.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))}) to {options.Keys:N0} keys."));
        Console.WriteLine($"Survived: {faults.Describe()}.");
        if (faults.Skipped.Count > 0)
        {
            Console.WriteLine($"Could not inject {faults.Skipped.Count} faults: {string.Join("; ", faults.Skipped.Take(5))}");
        }

        bool bounded = maxPending <= boundWithSlack;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Backlog: at most {maxPending:N0} pending entries (bound {cacheOptions.MaxPendingEntries:N0} + {boundWithSlack - cacheOptions.MaxPendingEntries:N0}, one write per producer checking the bound at the same instant): {(bounded ? "within" : "OVER")} the bound. GC heap at most {maxHeap / (1024 * 1024):N0} MiB."));
        Console.WriteLine(verdict.Summary);
        bool readsFresh = Volatile.Read(ref _readsStale) == 0;
        if (options.ReadEvery > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Reads: {_readsChecked:N0} checked against the latest acknowledged write, {_readsUnavailable:N0} unavailable (a read-through load failed while the server was down), {_readsStale:N0} stale{(_firstStale is null ? "." : $"; the first: {_firstStale}")}"));
        }

        bool updatesFresh = Volatile.Read(ref _updatesStale) == 0;
        if (options.UpdateEvery > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Updates: {_updatesChecked:N0} checked against the latest acknowledged write ({_updateRetries:N0} functions run again after a conflict), {_updatesUnavailable:N0} unavailable (a read-through load failed while the server was down), {_updatesStale:N0} given a stale value{(_firstStaleUpdate is null ? "." : $"; the first: {_firstStaleUpdate}")}"));
        }

        bool passed = verdict.Passed && bounded && readsFresh && updatesFresh;
        Console.WriteLine(passed ? $"PASSED: nothing accepted was lost, nothing was written at a stale version{(options.DeleteEvery > 0 ? ", no deleted key kept a row" : string.Empty)}{(options.ReadEvery > 0 ? ", no read was older than its key's latest write" : string.Empty)}{(options.UpdateEvery > 0 ? ", no update was given an older value than its key's latest write" : string.Empty)}." : "FAILED: see above.");
        return passed;
    }

    /// <summary>Writes random keys of its own (key % producers == producer) until stopped, one write in N poison.</summary>
    private async Task ProduceAsync(WriteBehindCache<long, Score> cache, Ledger ledger, int producer, CancellationToken stop)
    {
        var random = new Random(options.Seed * 7919 + producer);
        int perProducer = options.Keys / options.Producers;
        if (options.Bulk > 0)
        {
            await ProduceInBulkAsync(cache, ledger, producer, random, perProducer, stop);
            return;
        }

        while (!stop.IsCancellationRequested)
        {
            long key = producer + ((long)options.Producers * random.Next(perProducer));
            long seq = ledger.NextSequence();
            bool poison = options.PoisonEvery > 0 && random.Next(options.PoisonEvery) == 0;

            if (!poison && options.DeleteEvery > 0 && random.Next(options.DeleteEvery) == 0)
            {
                if (options.UpdateEvery > 0 && random.Next(2) == 0)
                {
                    await UpdateAsync(cache, ledger, key, seq, delete: true);
                }
                else
                {
                    var deleted = await cache.DeleteAsync(key, WriteConsistency.Accepted);
                    ledger.Acknowledge(key, seq, deleted.Version, poison: false, deleted: true);
                }
            }
            else if (!poison && options.UpdateEvery > 0 && random.Next(options.UpdateEvery) == 0)
            {
                await UpdateAsync(cache, ledger, key, seq, delete: false);
            }
            else
            {
                // No cancellation token: a write is either refused before it is accepted, or its version is known.
                var result = await cache.SetAsync(key, new Score(seq, poison ? -1 : (int)(seq % 1_000)), WriteConsistency.Accepted);
                ledger.Acknowledge(key, seq, result.Version, poison);
            }

            await MaybeReadBackAsync(cache, ledger, producer, random, perProducer);
        }
    }

    /// <summary>
    /// Writes <paramref name="seq"/> to a key of this producer's by UpdateAsync (with <paramref name="delete"/>, deletes
    /// the key by a ComputeAsync whose function returns no value), and checks that the function's last run was given
    /// the key's latest acknowledged write (only this producer writes the key, and it awaited each write), as a
    /// read-back is checked. A load that fails while the server is down fails the update: nothing is written. A delete
    /// of a key that has no value writes nothing, and leaves the ledger as it was.
    /// </summary>
    private async Task UpdateAsync(WriteBehindCache<long, Score> cache, Ledger ledger, long key, long seq, bool delete)
    {
        var (latest, _, poison, deleted) = ledger.Latest(key);
        CacheLookup<Score> given = default;
        UpdateResult<Score> result;
        try
        {
            result = delete
                ? await cache.ComputeAsync(key, current =>
                {
                    given = current;
                    return default;
                })
                : await cache.UpdateAsync(key, current =>
                {
                    given = current;
                    return new Score(seq, (int)(seq % 1_000));
                });
        }
        catch (InvalidOperationException)
        {
            Interlocked.Increment(ref _updatesUnavailable);
            return;
        }

        if (!delete || result.Changed)
        {
            ledger.Acknowledge(key, seq, result.Version, poison: false, deleted: delete);
        }

        Interlocked.Add(ref _updateRetries, result.Attempts - 1);
        if (poison)
        {
            return; // a refused write may or may not be what the function was given, as for a read
        }

        Interlocked.Increment(ref _updatesChecked);
        long? ran = given.Found ? given.Value!.Seq : null;
        if (ran != (latest == 0 || deleted ? null : latest))
        {
            Interlocked.Increment(ref _updatesStale);
            Interlocked.CompareExchange(ref _firstStaleUpdate, string.Create(CultureInfo.InvariantCulture, $"key {key}: the update ran on {(ran is null ? "nothing" : $"write {ran}")}, latest acknowledged write {latest}"), null);
        }
    }

    /// <summary>
    /// After one write in <c>--read-every</c>, reads one of this producer's keys (only it writes them, and it awaited
    /// each write) and checks the value is the latest write acknowledged for the key: from memory, or loaded again
    /// after an eviction or its TimeToLive. A key whose latest write was refused (poison) may read as that write or as
    /// the row before it, so it is not checked; a load that fails while the server is down counts as unavailable.
    /// </summary>
    private async Task MaybeReadBackAsync(WriteBehindCache<long, Score> cache, Ledger ledger, int producer, Random random, int perProducer)
    {
        if (options.ReadEvery == 0 || random.Next(options.ReadEvery) != 0)
        {
            return;
        }

        long key = producer + ((long)options.Producers * random.Next(perProducer));
        var (seq, _, poison, deleted) = ledger.Latest(key);
        CacheLookup<Score> seen;
        try
        {
            seen = await cache.TryGetAsync(key);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Increment(ref _readsUnavailable);
            return;
        }

        if (poison)
        {
            return;
        }

        Interlocked.Increment(ref _readsChecked);
        long? read = seen.Found ? seen.Value!.Seq : null;
        if (read != (seq == 0 || deleted ? null : seq))
        {
            Interlocked.Increment(ref _readsStale);
            Interlocked.CompareExchange(ref _firstStale, string.Create(CultureInfo.InvariantCulture, $"key {key} read {(read is null ? "nothing" : $"write {read}")}, latest acknowledged write {seq}"), null);
        }
    }

    /// <summary>
    /// As <see cref="ProduceAsync"/>, 1 to <c>--bulk</c> writes at a time with one SetManyAsync (a key may come twice
    /// in one call: the later write wins, and the ledger takes them in order).
    /// </summary>
    private async Task ProduceInBulkAsync(WriteBehindCache<long, Score> cache, Ledger ledger, int producer, Random random, int perProducer, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var writes = new (long Key, long Seq, bool Poison)[random.Next(1, options.Bulk + 1)];
            for (int i = 0; i < writes.Length; i++)
            {
                writes[i] = (producer + ((long)options.Producers * random.Next(perProducer)), ledger.NextSequence(), options.PoisonEvery > 0 && random.Next(options.PoisonEvery) == 0);
            }

            // No cancellation token, as for one write: every write is made, and its version is known.
            var result = await cache.SetManyAsync(
                writes.Select(w => new KeyValuePair<long, Score>(w.Key, new Score(w.Seq, w.Poison ? -1 : (int)(w.Seq % 1_000)))),
                WriteConsistency.Accepted);
            for (int i = 0; i < writes.Length; i++)
            {
                ledger.Acknowledge(writes[i].Key, writes[i].Seq, result.Versions[i], writes[i].Poison);
            }

            await MaybeReadBackAsync(cache, ledger, producer, random, perProducer);
        }
    }

    private static async Task CreateSchemaAsync(NpgsqlDataSource admin)
    {
        await using var command = admin.CreateCommand(
            "CREATE TABLE soak_scores (id bigint PRIMARY KEY, seq bigint NOT NULL, score int NOT NULL CHECK (score >= 0), version bigint NOT NULL); " +
            "CREATE TABLE soak_audit (id bigserial PRIMARY KEY, key bigint NOT NULL, version bigint NOT NULL); " +
            "CREATE FUNCTION soak_audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO soak_audit (key, version) VALUES (NEW.id, NEW.version); RETURN NULL; END $$; " +
            "CREATE TRIGGER soak_audit AFTER INSERT OR UPDATE ON soak_scores FOR EACH ROW EXECUTE FUNCTION soak_audit_fn(); " +
            "CREATE FUNCTION soak_throttle_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END $$; " +
            "CREATE TRIGGER soak_throttle BEFORE INSERT ON soak_scores FOR EACH STATEMENT EXECUTE FUNCTION soak_throttle_fn(); " +
            "ALTER TABLE soak_scores DISABLE TRIGGER soak_throttle");
        await command.ExecuteNonQueryAsync();
    }
}
