using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting.Configuration;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Configuration;

/// <summary>
/// Values that do not convert to their setting's type: the .NET binder threw its own exception at the first one
/// ("Failed to convert configuration value ..."), which hid every other problem and said nothing of the accepted forms.
/// </summary>
public sealed class ValueConversionTests
{
    private static readonly string NL = Environment.NewLine;

    [Fact]
    public async Task StartAsync_SizeWrittenWithAnotherTimeUnit_IsNotToldItWroteMinutes()
    {
        // The hint for 256m (minutes, not mebibytes) was given for every duration: MaxPendingBytes = 30s was reported
        // as "HOCON reads the unit m as minutes, so 0.5m is 30 seconds; write 0.5M", a unit the user never wrote.
        var error = await TestHost.StartFailsAsync(builder => builder.AddHoconString("""
            WriteBehind.Caches.scores {
              MaxPendingBytes = 30s
              MaxBatchBytes = 2m
            }
            """));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchBytes' (<string>(3,19)) is \"00:02:00\", which is not a size (Int64) but a duration: HOCON reads the unit m as minutes, so 2m is 2 minutes; write 2M or 2MiB for mebibytes." + NL +
            "- 'WriteBehind:Caches:scores:MaxPendingBytes' (<string>(2,21)) is \"00:00:30\", which is not a size (Int64) but a duration (30 seconds): HOCON reads ns, us, ms, s, m (minutes), h and d as time units; write a whole number of bytes or a size unit: K, M, G or KiB, MiB, GiB (kB, MB, GB are powers of ten).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_HoconValuesThatDoNotConvert_AreListedWithTheOtherProblemsInOneMessage()
    {
        var error = await TestHost.StartFailsAsync(builder => builder.AddHoconString("""
            WriteBehind.Caches.scores {
              OverflowStrategy = Drop
              MaxBatchSize = 1e4
              MaxPendingEntries = -5
              MaxBatchBytes = -1MiB
              MaxPendingBytes = 256m
              Journal { Directory = "/tmp/unused", FsyncPolicy = no }
              PostgreSql { Table = scores, BatchForm = Kopy }
            }
            """));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- MaxPendingEntries is -5; it must be greater than zero. Set at 'WriteBehind:Caches:scores:MaxPendingEntries' (<string>(4,23))." + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchBytes' (<string>(5,19)) is \"-1MiB\", which is not a size (Int64): a size cannot be negative. " + HoconSizes + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchSize' (<string>(3,18)) is \"1e4\", which is not a whole number (Int32, from -2147483648 to 2147483647): write it in digits, without an exponent, a fraction or a unit: 10000." + NL +
            "- 'WriteBehind:Caches:scores:MaxPendingBytes' (<string>(6,21)) is \"04:16:00\", which is not a size (Int64) but a duration: HOCON reads the unit m as minutes, so 256m is 4 hours 16 minutes; write 256M or 256MiB for mebibytes." + NL +
            "- 'WriteBehind:Caches:scores:OverflowStrategy' (<string>(2,22)) is \"Drop\", which names no OverflowStrategy: write one of Backpressure, Fail." + NL +
            "- 'WriteBehind:Caches:scores:Journal:FsyncPolicy' (<string>(7,54)) is \"False\", which names no FsyncPolicy: write one of Always, EverySecond, No. HOCON reads an unquoted no or off as false: write \"No\", in quotes." + NL +
            "- 'WriteBehind:Caches:scores:PostgreSql:BatchForm' (<string>(8,44)) is \"Kopy\", which names no PostgreSqlBatchForm: write one of Unnest, Copy.",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_JsonDurationAndSizeWithUnits_AreListedWithTheFormsJsonTakes()
    {
        var error = await TestHost.StartFailsAsync(builder => builder.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""
            { "WriteBehind": { "Caches": { "scores": {
              "MaxBatchDelay": "50ms",
              "MaxPendingBytes": "256MiB",
              "MaxBatchSize": 1e4,
              "ReadThrough": "sometimes",
              "Restart": { "RandomFactor": "0,5", "MaxRestarts": 3000000000 },
              "Health": { "LagThreshold": "1 minute" }
            } } } }
            """))));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' is \"50ms\", which is not a duration (TimeSpan): write [d.]hh:mm:ss[.fffffff], such as \"00:00:00.050\" for 50 ms or \"00:00:30\" for 30 s. Units such as 50ms or 30s are converted only by the HOCON provider (ns, us, ms, s, m, h, d, or spelled out), not in JSON or environment variables." + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchSize' is \"1e4\", which is not a whole number (Int32, from -2147483648 to 2147483647): write it in digits, without an exponent, a fraction or a unit: 10000." + NL +
            "- 'WriteBehind:Caches:scores:MaxPendingBytes' is \"256MiB\", which is not a size (Int64): write a whole number of bytes, such as 268435456 for 256 MiB. Units such as 256MiB are converted only by the HOCON provider (K, M, G or KiB, MiB, GiB; kB, MB, GB are powers of ten), not in JSON or environment variables." + NL +
            "- 'WriteBehind:Caches:scores:ReadThrough' is \"sometimes\", which is not a Boolean: write true or false." + NL +
            "- 'WriteBehind:Caches:scores:Restart:MaxRestarts' is \"3000000000\", which is not a whole number (Int32, from -2147483648 to 2147483647): write it in digits, without an exponent, a fraction or a unit." + NL +
            "- 'WriteBehind:Caches:scores:Restart:RandomFactor' is \"0,5\", which is not a number (Double): write it with a dot for the decimals, such as 0.5." + NL +
            "- 'WriteBehind:Caches:scores:Health:LagThreshold' is \"1 minute\", which is not a duration (TimeSpan): write [d.]hh:mm:ss[.fffffff], such as \"00:00:00.050\" for 50 ms or \"00:00:30\" for 30 s. Units such as 50ms or 30s are converted only by the HOCON provider (ns, us, ms, s, m, h, d, or spelled out), not in JSON or environment variables.",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_ADurationThatIsABareNumberAndDoesNotConvert_IsReportedOnceAsWithoutAUnit()
    {
        var error = await TestHost.StartFailsAsync(builder => builder.AddHoconString("WriteBehind.Caches.scores.MaxBatchDelay = 1e4"));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' (<string>(1,43)) is 1e4, a duration without a unit (.NET would read it as 1e4 days); write it with one: 1e4ms, 1e4s, 1e4 minutes (or 00:00:30 in JSON).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_HoconDurationOrSizeWithAUnitHoconHasNot_IsToldHoconsUnitsNotTheJsonForm()
    {
        // These were told to write [d.]hh:mm:ss (which HOCON refuses unquoted: ':' cannot be in an unquoted value) or
        // a number of bytes, and that units "are converted only by the HOCON provider", to a value written in HOCON.
        var error = await TestHost.StartFailsAsync(builder => builder.AddHoconString("""
            WriteBehind.Caches.scores {
              MaxBatchDelay = 5 min
              MaxPendingBytes = 256KB
              ShutdownTimeout = 100000000 days
              Health { LagThreshold = 30S }
            }
            """));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' (<string>(2,19)) is \"5 min\", which is not a duration (TimeSpan). " + HoconDurations + NL +
            "- 'WriteBehind:Caches:scores:MaxPendingBytes' (<string>(3,21)) is \"256KB\", which is not a size (Int64). " + HoconSizes + NL +
            "- 'WriteBehind:Caches:scores:ShutdownTimeout' (<string>(4,21)) is \"100000000 days\", which is not a duration (TimeSpan). " + HoconDurations + NL +
            "- 'WriteBehind:Caches:scores:Health:LagThreshold' (<string>(5,27)) is \"30S\", which is not a duration (TimeSpan). " + HoconDurations,
            error.Message);
    }

    private const string HoconDurations =
        "In HOCON write a number and a unit, such as 50ms, 30s or 5 minutes: ns, us, ms, s, m, h, d, or nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days, in lower case; " +
        "at most 10675199 days (a TimeSpan's limit).";

    private const string HoconSizes =
        "In HOCON write a whole number of bytes, or a number and a unit, such as 256MiB: B, K or KiB, M or MiB, G or GiB, T or TiB (powers of two), kB, MB, GB, TB (powers of ten; KB is not a unit).";

    [Fact]
    public async Task StartAsync_AnArrayOrASectionWhereOneValueBelongs_IsReportedAtTheSettingNotAsMisspelledKeys()
    {
        // Each was reported as keys below the setting that "name no setting; check its spelling" (MaxBatchSize:0,
        // Restart:MinBackoff itself), although the setting is spelled right and its value is what is wrong.
        var error = await TestHost.StartFailsAsync(builder => builder.AddHoconString("""
            WriteBehind.Caches.scores {
              MaxBatchSize = [100, 200]
              Restart { MinBackoff { value = 1s } }
              PostgreSql { ConnectionString { Host = localhost, Port = 5432 } }
            }
            """));

        Assert.Equal(
            "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):" + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchSize' (<string>(2,18)) is an array ([...]), but MaxBatchSize takes one value: write it without the brackets." + NL +
            "- 'WriteBehind:Caches:scores:Restart:MinBackoff' (<string>(3,24)) is a section ({ ... }, with the key value), but MinBackoff takes one value: write MinBackoff = ..., not MinBackoff { ... }." + NL +
            "- 'WriteBehind:Caches:scores:PostgreSql:ConnectionString' (<string>(4,33)) is a section ({ ... }, with the keys Host, Port), but ConnectionString takes one value: write ConnectionString = ..., not ConnectionString { ... }.",
            error.Message);
    }

    [Fact]
    public void Bind_ValuesThatDoNotConvert_KeepTheirDefaultsAndTheOtherValuesAreBound()
    {
        // The options are built without the binder's exception (the store's options, too, which a cache resolved
        // before the start reads); the validation then reports the values left out.
        var section = new ConfigurationBuilder().AddHoconString("""
            WriteBehind.Caches.scores {
              OverflowStrategy = Drop
              MaxBatchSize = 250
              MaxPendingBytes = 256m
              ShutdownTimeout = null
              Restart { MinBackoff = 2s, MaxRestarts = lots }
              Health { BacklogThreshold = 10, LagThreshold = soon }
              PostgreSql { Table = scores, BatchForm = Kopy }
            }
            """).Build().GetSection("WriteBehind:Caches:scores");
        var options = new WriteBehindCacheOptions();
        var store = new PostgreSqlStoreOptions();

        CacheConfigurationBinder.Bind(section, options);
        CacheConfigurationBinder.BindPostgreSql(section, store);

        var defaults = new WriteBehindOptions();
        Assert.Equal((250, defaults.OverflowStrategy, defaults.MaxPendingBytes), (options.Cache.MaxBatchSize, options.Cache.OverflowStrategy, options.Cache.MaxPendingBytes));
        Assert.Equal(TimeSpan.Zero, options.Cache.ShutdownTimeout); // the null is bound as before (and reported)
        Assert.Equal((TimeSpan.FromSeconds(2), defaults.Restart.MaxRestarts), (options.Cache.Restart.MinBackoff, options.Cache.Restart.MaxRestarts));
        Assert.Equal((10L, new WriteBehindHealthCheckOptions().LagThreshold), (options.Health.BacklogThreshold, options.Health.LagThreshold));
        Assert.Equal(("scores", new PostgreSqlStoreOptions().BatchForm), (store.Table, store.BatchForm));
        Assert.Equal(6, options.ValueProblems.Count);
    }
}
