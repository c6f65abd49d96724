using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;
using Xunit.Abstractions;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// Rows the server refuses (a CHECK, a NOT NULL, a varchar too short, a numeric too small) mixed at random positions
/// into large batches of a custom-mapped table: every good row lands at its version, exactly the poison rows are
/// dead-lettered with their SQLSTATE, the flush completes and counts them; an operator then fixes the table and
/// retries the letters, or discards them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PoisonRowTests(PostgresFixture db, ITestOutputHelper output)
{
    /// <summary>A row of <c>scores(id bigint primary key, name varchar(12) not null, score int check (score >= 0), amount numeric(6,2), version bigint)</c>.</summary>
    private sealed record Score(long Id, string? Name, int Points, decimal Amount);

    /// <summary>The poison kinds, each with the SQLSTATE it must be dead-lettered with.</summary>
    private static readonly (string Fault, string SqlState)[] Poisons = [("check", "23514"), ("not-null", "23502"), ("too-long", "22001"), ("out-of-range", "22003")];

    private static Score Good(long id) => new(id, $"p{id % 1000}", (int)(id % 500), (id % 9999) / 100m);

    private static Score Poison(long id, string fault) => fault switch
    {
        "check" => Good(id) with { Points = -1 },
        "not-null" => Good(id) with { Name = null },
        "too-long" => Good(id) with { Name = "a name far too long" },
        _ => Good(id) with { Amount = 123456.78m },
    };

    private async Task<string> CreateScoresAsync()
    {
        var table = PostgresFixture.NewTableName("wb_scores");
        await db.ExecuteAsync(
            $"CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, name varchar(12) NOT NULL, score int CHECK (score >= 0), amount numeric(6,2), version bigint)");
        return table;
    }

    private PostgreSqlStore<long, Score> Store(string table, PostgreSqlBatchForm form) =>
        new(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, BatchForm = form, DeadLetterTable = table + "_dl" },
            new JsonValueSerializer<Score>(),
            new PostgreSqlTableMapping<long, Score>()
                .Table(table)
                .Key("id")
                .Column("name", s => s.Name, NpgsqlDbType.Varchar)
                .Column("score", s => s.Points, NpgsqlDbType.Integer)
                .Column("amount", s => s.Amount, NpgsqlDbType.Numeric)
                .VersionColumn("version")
                .FromRow(row => new Score(row.GetInt64(0), row.GetString(1), row.GetInt32(2), row.GetDecimal(3))));

    private static WriteBehindOptions Options() => new()
    {
        ShardCount = 4,
        Parallelism = 2,
        MaxBatchSize = 2_000,
        MaxBatchDelay = TimeSpan.FromMilliseconds(20),
        Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) },
    };

    /// <remarks>
    /// The COPY form pays a session staging table per attempt (a failed transaction returns its connection to the
    /// pool, which resets the session), so bisection costs it about four times what it costs unnest: fewer rows.
    /// </remarks>
    [Theory]
    [InlineData(PostgreSqlBatchForm.Unnest, 10_000, 1)]
    [InlineData(PostgreSqlBatchForm.Copy, 5_000, 2)]
    public async Task PoisonRows_RandomPositionsInLargeBatches_GoodRowsLandExactlyPoisonDeadLettered(PostgreSqlBatchForm form, int rows, int seed)
    {
        var random = new Random(seed);
        var table = await CreateScoresAsync();
        await using var store = Store(table, form);
        var poison = new Dictionary<long, string>();
        for (long id = 0; id < rows; id++)
        {
            if (random.Next(100) == 0)
            {
                poison[id] = Poisons[random.Next(Poisons.Length)].Fault;
            }
        }

        await using var cache = new WriteBehindCache<long, Score>(store, Options(), new JsonValueSerializer<Score>());
        var versions = new Dictionary<long, long>();
        foreach (long id in Enumerable.Range(0, rows).Select(i => (long)i).OrderBy(_ => random.Next()))
        {
            var result = await cache.SetAsync(id, poison.TryGetValue(id, out var fault) ? Poison(id, fault) : Good(id), WriteConsistency.Accepted);
            versions[id] = result.Version;
        }

        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        var written = new Dictionary<long, (string Name, int Score, decimal Amount, long Version)>();
        await using (var command = db.DataSource.CreateCommand($"SELECT id, name, score, amount, version FROM \"{table}\""))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                written[reader.GetInt64(0)] = (reader.GetString(1), reader.GetInt32(2), reader.GetDecimal(3), reader.GetInt64(4));
            }
        }

        var letters = await ListAllAsync(cache);
        output.WriteLine($"{form}: {rows} rows, {poison.Count} poison ({string.Join(", ", poison.Values.GroupBy(f => f).Select(g => $"{g.Count()} {g.Key}"))}); {written.Count} written, {letters.Count} dead-lettered.");
        Assert.Equal(poison.Count, flush.FailedWrites);
        Assert.Equal(rows - poison.Count, written.Count);
        Assert.All(written, row =>
        {
            var good = Good(row.Key);
            Assert.Equal((good.Name, good.Points, good.Amount, versions[row.Key]), row.Value);
        });
        Assert.Equal(poison.Keys.Order(), letters.Select(l => l.Key).Order());
        Assert.All(letters, letter => Assert.Equal(
            (Poisons.Single(p => p.Fault == poison[letter.Key]).SqlState, StoreErrorKind.Permanent, versions[letter.Key]),
            (letter.ErrorCode, letter.ErrorKind, letter.Version)));
        var statistics = cache.GetStatistics();
        Assert.Equal((0L, (long)poison.Count), (statistics.PendingEntries, statistics.FailedKeys));
    }

    [Fact]
    public async Task DeadLetters_CustomTableWithoutFromRow_RetriedAfterARestart_ResubmitsOrFindsSuperseded()
    {
        // Read-through off (no FromRow): a retry of a key the cache no longer holds (a restart, an eviction) reads
        // the stored version to decide, and threw "Read-through ... needs to know how to build a Score" instead.
        var table = await CreateScoresAsync();
        var mapping = new PostgreSqlTableMapping<long, Score>()
            .Table(table)
            .Key("id")
            .Column("name", s => s.Name, NpgsqlDbType.Varchar)
            .Column("score", s => s.Points, NpgsqlDbType.Integer)
            .Column("amount", s => s.Amount, NpgsqlDbType.Numeric)
            .VersionColumn("version");
        await using var store = new PostgreSqlStore<long, Score>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, DeadLetterTable = table + "_dl" }, new JsonValueSerializer<Score>(), mapping);
        await using (var before = new WriteBehindCache<long, Score>(store, Options(), new JsonValueSerializer<Score>()))
        {
            await before.SetAsync(1, Poison(1, "check"));
            await before.SetAsync(2, Poison(2, "check"));
            await before.FlushAsync().WaitAsync(FaultKit.Within);
        }

        await db.ExecuteAsync($"INSERT INTO \"{table}\" (id, name, score, amount, version) VALUES (2, 'newer', 7, 0, {long.MaxValue})"); // written since by another process
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" DROP CONSTRAINT \"{table}_score_check\"");
        await using var after = new WriteBehindCache<long, Score>(store, Options(), new JsonValueSerializer<Score>());

        var one = await after.RetryDeadLetterAsync(1);
        var two = await after.RetryDeadLetterAsync(2);
        await after.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.Equal((DeadLetterRetryOutcome.Resubmitted, DeadLetterRetryOutcome.Superseded), (one.Outcome, two.Outcome));
        Assert.Equal(-1, await db.ScalarAsync<int>($"SELECT score FROM \"{table}\" WHERE id = 1"));
        Assert.Equal("newer", await db.ScalarAsync<string>($"SELECT name FROM \"{table}\" WHERE id = 2"));
        Assert.Equal(0, await after.CountDeadLettersAsync());
    }

    [Fact]
    public async Task DeadLetters_OperatorFixesTheTableThenRetriesOrDiscards_RetriedRowsLand()
    {
        var table = await CreateScoresAsync();
        await using var store = Store(table, PostgreSqlBatchForm.Unnest);
        await using var cache = new WriteBehindCache<long, Score>(store, Options(), new JsonValueSerializer<Score>());
        for (long id = 0; id < 200; id++)
        {
            await cache.SetAsync(id, id % 20 == 0 ? Poison(id, "check") : Good(id));
        }

        await cache.SetAsync(1_000, Poison(1_000, "check"));
        await cache.SetAsync(2_000, Poison(2_000, "check"));
        var first = await cache.FlushAsync().WaitAsync(FaultKit.Within);
        await cache.SetAsync(2_000, Good(2_000)); // written since: its letter is stale
        await cache.FlushAsync().WaitAsync(FaultKit.Within);
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" DROP CONSTRAINT \"{table}_score_check\"");

        bool discarded = await cache.DiscardDeadLetterAsync(1_000);
        var results = new List<DeadLetterRetryResult>();
        foreach (var letter in await ListAllAsync(cache))
        {
            results.Add(await cache.RetryDeadLetterAsync(letter.Key));
        }

        var second = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.Equal((12L, 0L, true), (first.FailedWrites, second.FailedWrites, discarded));
        Assert.Equal(10, results.Count(r => r.Outcome == DeadLetterRetryOutcome.Resubmitted));
        Assert.Equal(1, results.Count(r => r.Outcome == DeadLetterRetryOutcome.Superseded));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(201L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(-1, await db.ScalarAsync<int>($"SELECT score FROM \"{table}\" WHERE id = 20"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE id = 1000"));
        Assert.Equal((int)(2_000 % 500), await db.ScalarAsync<int>($"SELECT score FROM \"{table}\" WHERE id = 2000"));
        Assert.Equal(0, cache.GetStatistics().FailedKeys);
    }

    private static async Task<List<DeadLetter<long>>> ListAllAsync(WriteBehindCache<long, Score> cache)
    {
        var all = new List<DeadLetter<long>>();
        while (true)
        {
            var page = await cache.ListDeadLettersAsync(all.Count, 100);
            all.AddRange(page);
            if (page.Count < 100)
            {
                return all;
            }
        }
    }
}
