using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Configuration;

public sealed class WriteBehindCacheOptionsValidatorTests
{
    private static readonly string NL = Environment.NewLine;

    [Fact]
    public async Task StartAsync_InvalidConfiguration_FailsWithOneMessageListingEveryProblem()
    {
        var store = new InMemoryStore<string>();
        var builder = TestHost.Builder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WriteBehind:Caches:scores:MaxBatchSize"] = "0",
            ["WriteBehind:Caches:scores:ShardCount"] = "4",
            ["WriteBehind:Caches:scores:Parallelism"] = "8",
            ["WriteBehind:Caches:scores:Restart:RandomFactor"] = "2",
            ["WriteBehind:Caches:scores:Health:BacklogThreshold"] = "-1",
            ["WriteBehind:Caches:scores:max-batch-size"] = "10",
        });
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(store).BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- MaxBatchSize is 0; it must be greater than zero." + NL +
            "- Parallelism is 8 but ShardCount is 4; each writer owns at least one shard, so set Parallelism to at most ShardCount." + NL +
            "- Restart.RandomFactor is 2; it must be between 0 and 1." + NL +
            "- Health.BacklogThreshold is -1; it must be zero or more (pending entries)." + NL +
            "- 'WriteBehind:Caches:scores:max-batch-size' names no setting; check its spelling. Keys are the option names (MaxBatchSize, Restart:MinBackoff, Health:BacklogThreshold, PostgreSql:Table), in any case; Akka-style names such as max-batch-size are not recognised.",
            error.Message);
        Assert.Equal(0, store.Attempts);
    }

    [Fact]
    public async Task StartAsync_PlainValueOnASectionOrNullForANumber_FailsInsteadOfBindingNothingOrZero()
    {
        // "Journal = on" bound nothing (no journal, no error); "MaxRestarts = null" bound 0 (no retries at all).
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconString("""
            WriteBehind.Caches.scores {
              Journal = on
              ShutdownTimeout = null
              Restart { MaxRestarts = null }
              Health = off
              PostgreSql { DeadLetterTable = null }
            }
            """);
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>()).BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("- 'WriteBehind:Caches:scores:Journal' (<string>(2,13)) is \"True\", but Journal is a section of settings: write Journal { ... } in HOCON, or an object in JSON (the journal is on only with a Journal section naming its Directory).", error.Message, StringComparison.Ordinal);
        Assert.Contains("- 'WriteBehind:Caches:scores:Health' (<string>(5,12)) is \"False\", but Health is a section of settings", error.Message, StringComparison.Ordinal);
        Assert.Contains("- 'WriteBehind:Caches:scores:ShutdownTimeout' (<string>(3,21)) is null, which would set ShutdownTimeout to 00:00:00: leave it out to keep its default, or give it a value.", error.Message, StringComparison.Ordinal);
        Assert.Contains("- 'WriteBehind:Caches:scores:Restart:MaxRestarts' (<string>(4,27)) is null, which would set MaxRestarts to 0: leave it out to keep its default, or give it a value.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DeadLetterTable", error.Message, StringComparison.Ordinal); // a string setting may be null: it clears it
    }

    [Fact]
    public async Task StartAsync_DurationsWithoutAUnit_FailNamingEachOne_ZeroIsAllowed()
    {
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconString("""
            WriteBehind.Caches.scores {
              MaxBatchDelay = 50
              ShutdownTimeout = 0
              Restart { MaxBackoff = 20 }
              Journal { Directory = "/tmp/unused", FsyncInterval = 2 }
              Health { LagThreshold = 30s }
            }
            """);
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>()).BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' (<string>(2,19)) is 50, a duration without a unit (.NET would read it as 50 days); write it with one: 50ms, 50s, 50 minutes (or 00:00:30 in JSON)." + NL +
            "- 'WriteBehind:Caches:scores:Restart:MaxBackoff' (<string>(4,26)) is 20, a duration without a unit (.NET would read it as 20 days); write it with one: 20ms, 20s, 20 minutes (or 00:00:30 in JSON)." + NL +
            "- 'WriteBehind:Caches:scores:Journal:FsyncInterval' (<string>(5,56)) is 2, a duration without a unit (.NET would read it as 2 days); write it with one: 2ms, 2s, 2 minutes (or 00:00:30 in JSON).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_NoStoreChosen_FailsNamingTheBuilderMethods()
    {
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>(configure: o => o with { MaxBatchDelay = TimeSpan.Zero });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            "Invalid options for the write-behind cache 'default':" + NL +
            "- No store is chosen: call UsePostgreSql(...) or UseStore(...) on the builder that AddWriteBehindCache returned." + NL +
            "- MaxBatchDelay is 00:00:00; it must be greater than zero.",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_OneCacheInvalid_OtherCachesAreNotStarted()
    {
        var good = new InMemoryStore<string>();
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>("good").UseStore(good);
        builder.Services.AddWriteBehindCache<string, string>("bad", o => o with { MailboxCapacity = -5 }).UseStore(new InMemoryStore<string>());
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("Invalid options for the write-behind cache 'bad':" + NL + "- MailboxCapacity is -5; it must be greater than zero.", error.Message);
        Assert.Equal("Unhealthy", (await TestHost.HealthOf(host, "good")).Status.ToString());
    }

    [Fact]
    public void WithSharding_ZeroShards_ThrowsAtTheCall()
    {
        var builder = new ServiceCollection().AddWriteBehindCache<string, string>();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithSharding(0));

        Assert.Equal("shardCount", error.ParamName);
    }
}
