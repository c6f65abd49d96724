using NpgsqlTypes;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.PostgreSql.Tests.Cache;

/// <summary>The whole cache (shards, pipeline, store) against the assembly's PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CacheEndToEndTests(PostgresFixture db)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private static WriteBehindOptions Options => new() { ShardCount = 4, Parallelism = 2, MaxBatchSize = 500, MaxBatchDelay = TimeSpan.FromMilliseconds(5) };

    /// <summary>A store of the default key/value table, created.</summary>
    private async Task<PostgreSqlStore<string, Profile>> DefaultTableStoreAsync(string table, JsonValueSerializer<Profile> serializer)
    {
        var store = new PostgreSqlStore<string, Profile>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table, CreateTableIfMissing = true }, serializer);
        await store.EnsureTableAsync();
        return store;
    }

    [Fact]
    public async Task DefaultTable_SetsDeletesAndRewrites_TableHoldsLatestValuesAtCommittedVersions()
    {
        var table = PostgresFixture.NewTableName("wb_default");
        var serializer = new JsonValueSerializer<Profile>();
        await using var store = await DefaultTableStoreAsync(table, serializer);
        await using var cache = new WriteBehindCache<string, Profile>(store, Options, serializer);

        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 1_000; i++)
            {
                await cache.SetAsync($"user-{i}", new Profile($"name-{i}", round));
            }
        }

        for (int i = 0; i < 1_000; i += 10)
        {
            await cache.DeleteAsync($"user-{i}");
        }

        var flush = await cache.FlushAsync().WaitAsync(Within);
        var rows = await ReadDefaultTableAsync(table);
        var status = await cache.GetStatusAsync("user-1");

        Assert.True(flush.AllCommitted);
        Assert.Equal(900, rows.Count);
        Assert.All(rows, row => Assert.Equal(2, serializer.Deserialize(row.Value.Json).Round));
        Assert.False(rows.ContainsKey("user-10"));
        Assert.Equal((WriteState.Completed, status.Version), (status.State, rows["user-1"].Version));
        Assert.Equal(Versioning.ToTimestamp(status.Version), rows["user-1"].UpdatedAt);
    }

    [Fact]
    public async Task GetMany_AfterARestart_ReadsTheStoredRowsThrough_AndYourWritesOverThem()
    {
        var serializer = new JsonValueSerializer<Profile>();
        await using var store = await DefaultTableStoreAsync(PostgresFixture.NewTableName("wb_getmany"), serializer);
        await using (var first = new WriteBehindCache<string, Profile>(store, Options, serializer))
        {
            await first.SetManyAsync(Enumerable.Range(0, 300).Select(i => new KeyValuePair<string, Profile>($"user-{i}", new Profile($"name-{i}", 1))), WriteConsistency.Committed).AsTask().WaitAsync(Within);
        }

        await using var cache = new WriteBehindCache<string, Profile>(store, Options, serializer); // nothing cached
        await cache.SetAsync("user-7", new Profile("mine", 2));

        var found = await cache.GetManyAsync(Enumerable.Range(0, 310).Select(i => $"user-{i}")).AsTask().WaitAsync(Within);

        Assert.Equal(300, found.Count);
        Assert.Equal(new Profile("name-299", 1), found["user-299"]);
        Assert.Equal(new Profile("mine", 2), found["user-7"]);
        Assert.False(found.ContainsKey("user-305"));
    }

    [Fact]
    public async Task DefaultTable_KeyWithNul_RefusedAtTheWriteWhileOtherKeysAreStored()
    {
        var (table, store, cache) = await BadKeyCacheAsync();
        await using var _ = store;
        await using var __ = cache;
        const string BadKey = "a\0b";

        // What the check spares the user: the server refuses the key in every batch, and the dead-letter table too.
        Assert.Equal("22021", (await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await store.WriteBatchAsync(
            [Records.Upsert(BadKey, new JsonValueSerializer<Profile>().Serialize(new Profile("x", 1)), Records.BaseVersion)], CancellationToken.None))).SqlState);

        await AssertRefusedAsync(cache, BadKey, $"The key contains a NUL character (at index 1), which PostgreSQL text cannot hold: public.{table} could never store the write.");
        await AssertOtherKeysStoredAsync(cache, table);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task DefaultTable_KeyWithHalfASurrogatePair_RefusedAtTheWriteWhileOtherKeysAreStored(int which)
    {
        // Built here: xunit would pass a lone surrogate in InlineData through UTF-8 and hand over U+FFFD.
        string badKey = which == 0 ? "half \uD83D pair" : "\uDE00 low first";
        var (table, store, cache) = await BadKeyCacheAsync();
        await using var _ = store;
        await using var __ = cache;

        // What the check spares the user: Npgsql cannot encode the key, in every batch and in the dead-letter table too.
        await Assert.ThrowsAsync<System.Text.EncoderFallbackException>(async () => await store.WriteBatchAsync(
            [Records.Upsert(badKey, new JsonValueSerializer<Profile>().Serialize(new Profile("x", 1)), Records.BaseVersion)], CancellationToken.None));

        await AssertRefusedAsync(
            cache,
            badKey,
            $"The key contains half of a UTF-16 surrogate pair, which has no UTF-8 form: public.{table} could never store the write.");
        await AssertOtherKeysStoredAsync(cache, table);
    }

    private async Task<(string Table, PostgreSqlStore<string, Profile> Store, WriteBehindCache<string, Profile> Cache)> BadKeyCacheAsync()
    {
        var table = PostgresFixture.NewTableName("wb_badkeys");
        var serializer = new JsonValueSerializer<Profile>();
        var store = new PostgreSqlStore<string, Profile>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table, CreateTableIfMissing = true }, serializer);
        await store.EnsureTableAsync();
        return (table, store, new WriteBehindCache<string, Profile>(store, Options, serializer));
    }

    private static async Task AssertRefusedAsync(WriteBehindCache<string, Profile> cache, string badKey, string message)
    {
        var set = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.SetAsync(badKey, new Profile("x", 1)));
        Assert.Equal("key", set.ParamName);
        Assert.Equal(message + " (Parameter 'key')", set.Message);
        Assert.Throws<ArgumentException>(() => cache.TrySet(badKey, new Profile("x", 1)));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.DeleteAsync(badKey, WriteConsistency.Committed));

        // A read of such a key (a client's id, say) finds no value, as the store could hold none, rather than failing
        // at the server as a read-through error.
        Assert.Null(await cache.GetAsync(badKey));
        Assert.False((await cache.TryGetAsync(badKey)).Found);

        // Nor has it a dead letter: an operator's retry or discard of it finds none rather than failing at the server.
        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.NotFound, 0), await cache.RetryDeadLetterAsync(badKey));
        Assert.False(await cache.DiscardDeadLetterAsync(badKey));
    }

    private async Task AssertOtherKeysStoredAsync(WriteBehindCache<string, Profile> cache, string table)
    {
        await cache.SetAsync("emoji \uD83D\uDE00", new Profile("pair", 2));
        var flush = await cache.FlushAsync().WaitAsync(Within);

        Assert.True(flush.AllCommitted);
        Assert.Equal(["emoji \uD83D\uDE00"], (await ReadDefaultTableAsync(table)).Keys);
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    [Fact]
    public async Task AtomicUpdates_ManyCallersOverFewKeysWithEvictions_TableHoldsEveryIncrement()
    {
        // Counters updated from threads of their own, with a cache so small that committed entries are evicted at
        // once: updates load rows from PostgreSQL (or find none), race other callers' writes and the evictions, and
        // run again. Every increment must be in the table. Each caller's first update is of one key, and its function
        // waits, the first time it runs, until all six have read that key: a race that does not depend on how the
        // threads are scheduled (on a loaded machine they may otherwise run one after the other), so five of them must
        // run their function again.
        var serializer = new JsonValueSerializer<Profile>();
        var table = PostgresFixture.NewTableName("wb_update");
        await using var store = await DefaultTableStoreAsync(table, serializer);
        var options = Options with { MaxCachedEntries = 8 };
        await using var cache = new WriteBehindCache<string, Profile>(store, options, serializer);
        const int Callers = 6, Each = 300, Keys = 20;
        var counts = new int[Keys];
        long attempts = 0;
        using var start = new Barrier(Callers);
        using var allRead = new Barrier(Callers);

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(c);
                start.SignalAndWait(Within);
                for (int i = 0; i < Each; i++)
                {
                    int key = i == 0 ? 0 : random.Next(Keys);
                    bool first = i == 0;
                    var result = cache.UpdateAsync(
                            $"counter-{key}",
                            current =>
                            {
                                if (first)
                                {
                                    first = false;
                                    Assert.True(allRead.SignalAndWait(Within), "the callers' first updates did not all read the key");
                                }

                                return new Profile("counter", current.Found ? current.Value!.Round + 1 : 1);
                            })
                        .AsTask().WaitAsync(Within).GetAwaiter().GetResult();
                    Interlocked.Increment(ref counts[key]);
                    Interlocked.Add(ref attempts, result.Attempts);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(callers).WaitAsync(Within);
        Assert.True((await cache.FlushAsync().WaitAsync(Within)).AllCommitted);
        var rows = await ReadDefaultTableAsync(table);

        Assert.Equal(Callers * Each, counts.Sum());
        for (int key = 0; key < Keys; key++)
        {
            int expected = counts[key];
            Assert.True(
                expected == 0 ? !rows.ContainsKey($"counter-{key}") : serializer.Deserialize(rows[$"counter-{key}"].Json).Round == expected,
                $"counter-{key}: {expected} increments, the table has {(rows.TryGetValue($"counter-{key}", out var row) ? serializer.Deserialize(row.Json).Round : "no row")}");
        }

        Assert.True(attempts >= (Callers * Each) + Callers - 1, $"{attempts} attempts: the callers' first updates, which all read the key before any wrote it, did not all run again but one");
    }

    [Fact]
    public async Task DefaultTable_FreshCache_ReadsThroughWhatAnEarlierCacheWrote()
    {
        var table = PostgresFixture.NewTableName("wb_readthrough");
        var serializer = new JsonValueSerializer<Profile>();
        var storeOptions = new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table, CreateTableIfMissing = true };
        await using (var store = new PostgreSqlStore<string, Profile>(storeOptions, serializer))
        {
            await using var first = new WriteBehindCache<string, Profile>(store, Options, serializer);
            await first.SetAsync("ada", new Profile("Ada", 7));
            Assert.True((await first.ShutdownAsync()).Flushed);
        }

        await using var store2 = new PostgreSqlStore<string, Profile>(storeOptions, serializer);
        await using var second = new WriteBehindCache<string, Profile>(store2, Options, serializer);

        Assert.Equal(new Profile("Ada", 7), await second.GetAsync("ada"));
        Assert.False((await second.TryGetAsync("nobody")).Found);
    }

    [Fact]
    public async Task CustomTable_PlayerScores_LatestScorePerPlayerWithUpdatedAtAsVersion()
    {
        var table = PostgresFixture.NewTableName("player_scores");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int NOT NULL, updated_at timestamptz NOT NULL)");
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table)
            .Key("player_id")
            .Column("score", s => s.Score, NpgsqlDbType.Integer)
            .UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetInt64(row.GetOrdinal("player_id")), row.GetInt32(row.GetOrdinal("score"))));
        var serializer = new JsonValueSerializer<PlayerScore>();
        await using var store = new PostgreSqlStore<long, PlayerScore>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString }, serializer, mapping);
        var expected = new Dictionary<long, (int Score, long Version)>();
        await using (var cache = new WriteBehindCache<long, PlayerScore>(store, Options, serializer))
        {
            var random = new Random(7);
            for (int i = 0; i < 5_000; i++)
            {
                long player = random.Next(200);
                int score = random.Next(1_000_000);
                var result = await cache.SetAsync(player, new PlayerScore(player, score), WriteConsistency.Accepted);
                expected[player] = (score, result.Version);
            }

            Assert.True((await cache.FlushAsync().WaitAsync(Within)).AllCommitted);
        }

        var rows = new Dictionary<long, (int, long)>();
        await using (var command = db.DataSource.CreateCommand($"SELECT player_id, score, updated_at FROM \"{table}\""))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64(0)] = (reader.GetInt32(1), Versioning.FromTimestamp(reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        Assert.Equal(expected.OrderBy(kv => kv.Key), rows.OrderBy(kv => kv.Key));
        await using var reader2 = new WriteBehindCache<long, PlayerScore>(store, Options, serializer);
        var first = expected.First();
        Assert.Equal(new PlayerScore(first.Key, first.Value.Score), await reader2.GetAsync(first.Key));
    }

    [Fact]
    public async Task AnotherProcessUpdatesARow_EvictAsyncOrTheTimeToLive_MakesTheNextReadLoadIt()
    {
        var table = PostgresFixture.NewTableName("wb_ttl");
        var serializer = new JsonValueSerializer<Profile>();
        var clock = new WriteBehindAkka.TestKit.ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await DefaultTableStoreAsync(table, serializer);
        await using var cache = new WriteBehindCache<string, Profile>(store, Options with { TimeToLive = TimeSpan.FromMinutes(5) }, serializer, timeProvider: clock);
        await cache.SetManyAsync([new("a", new Profile("mine", 1)), new("b", new Profile("mine", 1))]);
        Assert.True((await cache.FlushAsync().WaitAsync(Within)).AllCommitted); // a flush does not wait for the manual clock

        // Another service changes both rows behind the cache's back (its own version, one above the cache's).
        await db.ExecuteAsync($"UPDATE \"{table}\" SET value = '{{\"name\":\"theirs\",\"round\":2}}'::jsonb, version = version + 1");
        Assert.Equal(new Profile("mine", 1), await cache.GetAsync("a"));

        Assert.True(await cache.EvictAsync("a"));
        Assert.Equal(new Profile("theirs", 2), await cache.GetAsync("a").AsTask().WaitAsync(Within));
        Assert.Equal(new Profile("mine", 1), await cache.GetAsync("b")); // within its time to live

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(new Profile("theirs", 2), await cache.GetAsync("b").AsTask().WaitAsync(Within));

        // A write after the reload is newer than the other service's row, and lands over it.
        await cache.SetAsync("b", new Profile("mine again", 3));
        Assert.True((await cache.FlushAsync().WaitAsync(Within)).AllCommitted);
        Assert.Equal(new Profile("mine again", 3), serializer.Deserialize((await ReadDefaultTableAsync(table))["b"].Json));
    }

    private async Task<Dictionary<string, (byte[] Json, long Version, DateTimeOffset UpdatedAt)>> ReadDefaultTableAsync(string table)
    {
        var rows = new Dictionary<string, (byte[], long, DateTimeOffset)>();
        await using var command = db.DataSource.CreateCommand($"SELECT key, value::text, version, updated_at FROM \"{table}\"");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (System.Text.Encoding.UTF8.GetBytes(reader.GetString(1)), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
        }

        return rows;
    }

    public sealed record Profile(string Name, int Round);
}
