using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Configuration;

public sealed class BindConfigurationTests
{
    private const string Hocon = """
        WriteBehind.Caches.scores {
          MaxBatchSize = 250
          MaxBatchDelay = 20ms
          MaxPendingBytes = 64MiB
          OverflowStrategy = Fail
          ReadThrough = off
          TimeToLive = 5 minutes
          Restart { MinBackoff = 2s, MaxRestarts = 5 }
          Journal { Directory = "/var/lib/scores/journal", FsyncPolicy = EverySecond, FsyncInterval = 500ms, SegmentBytes = 16MiB, MaxJournalBytes = 256MiB }
          Health { BacklogThreshold = 10, StoreFailureThreshold = 1 minute }
          PostgreSql { Table = scores, BatchForm = Copy, CommandTimeout = 5s }
        }
        """;

    private static readonly Dictionary<string, string?> Json = new()
    {
        ["WriteBehind:Caches:scores:MaxBatchSize"] = "250",
        ["WriteBehind:Caches:scores:MaxBatchDelay"] = "00:00:00.020",
        ["WriteBehind:Caches:scores:MaxPendingBytes"] = "67108864",
        ["WriteBehind:Caches:scores:OverflowStrategy"] = "Fail",
        ["WriteBehind:Caches:scores:ReadThrough"] = "false",
        ["WriteBehind:Caches:scores:TimeToLive"] = "00:05:00",
        ["WriteBehind:Caches:scores:Restart:MinBackoff"] = "00:00:02",
        ["WriteBehind:Caches:scores:Restart:MaxRestarts"] = "5",
        ["WriteBehind:Caches:scores:Journal:Directory"] = "/var/lib/scores/journal",
        ["WriteBehind:Caches:scores:Journal:FsyncPolicy"] = "EverySecond",
        ["WriteBehind:Caches:scores:Journal:FsyncInterval"] = "00:00:00.500",
        ["WriteBehind:Caches:scores:Journal:SegmentBytes"] = "16777216",
        ["WriteBehind:Caches:scores:Journal:MaxJournalBytes"] = "268435456",
        ["WriteBehind:Caches:scores:Health:BacklogThreshold"] = "10",
        ["WriteBehind:Caches:scores:Health:StoreFailureThreshold"] = "00:01:00",
        ["WriteBehind:Caches:scores:PostgreSql:Table"] = "scores",
        ["WriteBehind:Caches:scores:PostgreSql:BatchForm"] = "Copy",
        ["WriteBehind:Caches:scores:PostgreSql:CommandTimeout"] = "00:00:05",
    };

    [Fact]
    public void BindConfiguration_HoconAndJsonStyleKeys_GiveTheSameOptions()
    {
        var fromHocon = Bind(builder => builder.AddHoconString(Hocon));
        var fromJson = Bind(builder => builder.AddInMemoryCollection(Json));

        var expected = new WriteBehindOptions
        {
            MaxBatchSize = 250,
            MaxBatchDelay = TimeSpan.FromMilliseconds(20),
            MaxPendingBytes = 64L * 1024 * 1024,
            OverflowStrategy = OverflowStrategy.Fail,
            ReadThrough = false,
            TimeToLive = TimeSpan.FromMinutes(5),
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromSeconds(2), MaxRestarts = 5 },
            Journal = new WriteBehindAkka.Journal.JournalOptions
            {
                Directory = "/var/lib/scores/journal",
                FsyncPolicy = WriteBehindAkka.Journal.FsyncPolicy.EverySecond,
                FsyncInterval = TimeSpan.FromMilliseconds(500),
                SegmentBytes = 16L * 1024 * 1024,
                MaxJournalBytes = 256L * 1024 * 1024,
            },
        };
        Assert.Equal(expected, fromHocon.Cache.Cache);
        Assert.Equal(expected, fromJson.Cache.Cache);
        Assert.Empty(fromHocon.Cache.UnknownKeys);
        Assert.Empty(fromJson.Cache.UnknownKeys);
        Assert.Equal((10L, TimeSpan.FromMinutes(1)), (fromHocon.Cache.Health.BacklogThreshold, fromHocon.Cache.Health.StoreFailureThreshold));
        Assert.Equal((10L, TimeSpan.FromMinutes(1)), (fromJson.Cache.Health.BacklogThreshold, fromJson.Cache.Health.StoreFailureThreshold));
        Assert.Equal(("scores", PostgreSqlBatchForm.Copy, TimeSpan.FromSeconds(5)), (fromHocon.Store.Table, fromHocon.Store.BatchForm, fromHocon.Store.CommandTimeout));
        Assert.Equal(("scores", PostgreSqlBatchForm.Copy, TimeSpan.FromSeconds(5)), (fromJson.Store.Table, fromJson.Store.BatchForm, fromJson.Store.CommandTimeout));
    }

    [Fact]
    public void BindConfiguration_DeadLetterTableNull_KeepsNone()
    {
        var fromHocon = Bind(builder => builder.AddHoconString("WriteBehind.Caches.scores.PostgreSql { DeadLetterTable = null }"));
        var fromJson = Bind(builder => builder.AddInMemoryCollection(new Dictionary<string, string?> { ["WriteBehind:Caches:scores:PostgreSql:DeadLetterTable"] = null }));
        var named = Bind(builder => builder.AddHoconString("WriteBehind.Caches.scores.PostgreSql { DeadLetterTable = letters }"));

        Assert.Null(fromHocon.Store.DeadLetterTable);
        Assert.Null(fromJson.Store.DeadLetterTable);
        Assert.Equal("letters", named.Store.DeadLetterTable);
        Assert.Equal(new PostgreSqlStoreOptions().DeadLetterTable, Bind(builder => builder.AddHoconString("WriteBehind.Caches.scores.MaxBatchSize = 5")).Store.DeadLetterTable);
    }

    [Fact]
    public void BindConfiguration_CodeAfterIt_WinsAndTheRestartGivenInCodeIsNotChanged()
    {
        var restart = new RestartSettings { MaxBackoff = TimeSpan.FromSeconds(7) };
        var options = Bind(
            builder => builder.AddInMemoryCollection(Json),
            cache => cache.WithRestart(restart).BindConfiguration("WriteBehind:Caches:scores").WithBatching(99, TimeSpan.FromSeconds(1)));

        Assert.Equal((99, TimeSpan.FromSeconds(1)), (options.Cache.Cache.MaxBatchSize, options.Cache.Cache.MaxBatchDelay));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(7)), (options.Cache.Cache.Restart.MinBackoff, options.Cache.Cache.Restart.MaxBackoff));
        Assert.Equal(new RestartSettings { MaxBackoff = TimeSpan.FromSeconds(7) }, restart);
    }

    [Fact]
    public void BindConfiguration_ParallelismAboveTheProcessorCountWithoutShardCount_ShardCountFollowsIt()
    {
        // A Parallelism set for a many-core machine failed validation in a 2-core container against a ShardCount the
        // configuration never named: the binder froze ShardCount at its default before it bound Parallelism.
        int parallelism = Math.Max(2, Environment.ProcessorCount) + 6;
        var bound = Bind(builder => builder.AddHoconString($"WriteBehind.Caches.scores {{ Parallelism = {parallelism} }}"));
        var named = Bind(builder => builder.AddHoconString($"WriteBehind.Caches.scores {{ Parallelism = {parallelism}, ShardCount = {parallelism + 2} }}"));

        Assert.Equal(parallelism, bound.Cache.Cache!.ShardCount);
        Assert.Empty(OptionsValidator.Validate(bound.Cache.Cache));
        Assert.Equal(parallelism + 2, named.Cache.Cache!.ShardCount);
    }

    [Fact]
    public void BindConfiguration_ShardCountBelowTheDefaultParallelismWithoutParallelism_ParallelismFollowsIt()
    {
        // ShardCount = 2 was valid when the default Parallelism was 2; with the default at 4 it must still start.
        var bound = Bind(builder => builder.AddHoconString("WriteBehind.Caches.scores { ShardCount = 2 }"));
        var coded = Bind(_ => { }, cache => cache.WithBatching(100, TimeSpan.FromMilliseconds(10)).WithSharding(3));

        Assert.Equal((2, 2), (bound.Cache.Cache!.ShardCount, bound.Cache.Cache.Parallelism));
        Assert.Empty(OptionsValidator.Validate(bound.Cache.Cache));
        Assert.Equal((3, 3), (coded.Cache.Cache!.ShardCount, coded.Cache.Cache.Parallelism));
    }

    private static (WriteBehindCacheOptions Cache, PostgreSqlStoreOptions Store) Bind(
        Action<IConfigurationBuilder> configure,
        Action<WriteBehindCacheBuilder<string, string>>? cache = null)
    {
        var builder = TestHost.Builder();
        configure(builder.Configuration);
        var registration = builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>());
        if (cache is null)
        {
            registration.BindConfiguration("WriteBehind:Caches:scores");
        }
        else
        {
            cache(registration);
        }

        using var host = builder.Build();
        return (
            host.Services.GetRequiredService<IOptionsMonitor<WriteBehindCacheOptions>>().Get("scores"),
            host.Services.GetRequiredService<IOptionsMonitor<PostgreSqlStoreOptions>>().Get("scores"));
    }
}
