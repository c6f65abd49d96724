using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Configuration;

/// <summary>
/// A bad setting read from HOCON names where it was written, file(line,column), after the key: with several included
/// files the operator had only the key to search for. A value from any other source keeps the message it had.
/// </summary>
public sealed class HoconPositionTests
{
    private const string Head = "Invalid options for the write-behind cache 'scores' (configuration section 'WriteBehind:Caches:scores'):";
    private const string NoSetting = " names no setting; check its spelling. Keys are the option names (MaxBatchSize, Restart:MinBackoff, Health:BacklogThreshold, PostgreSql:Table), in any case; Akka-style names such as max-batch-size are not recognised.";
    private const string NotBoolean = ", which is not a Boolean: write true or false.";
    private const string NotWholeNumber = ", which is not a whole number (Int32, from -2147483648 to 2147483647): write it in digits, without an exponent, a fraction or a unit.";
    private static readonly string NL = Environment.NewLine;

    [Fact]
    public async Task StartAsync_HoconFileWithAnInclude_NamesTheFileLineAndColumnOfTheValueThatWon()
    {
        using var folder = new TempFolder();
        folder.Write("hocon/app.conf", """
            WriteBehind.Caches.scores {
              MaxBatchSize = 100
              max-batch-size = 10
              ReadThrough = true
            }
            include "overrides.conf"
            WriteBehind.Caches.scores.MaxBatchSize = lots
            """);
        folder.Write("hocon/overrides.conf", """
            # The operator's overrides: they win over app.conf's values above the include.
            WriteBehind.Caches.scores {
              ReadThrough = sometimes
              Restart { MinBackoff { ms = 5 } }
            }
            """);

        var error = await TestHost.StartFailsAsync(configuration => configuration.SetBasePath(folder.Root).AddHoconFile("hocon/app.conf"));

        Assert.Equal(
            Head + NL +
            "- 'WriteBehind:Caches:scores:max-batch-size' (hocon/app.conf(3,20))" + NoSetting + NL +
            "- 'WriteBehind:Caches:scores:Restart:MinBackoff' (hocon/overrides.conf(4,24)) is a section ({ ... }, with the key ms), but MinBackoff takes one value: write MinBackoff = ..., not MinBackoff { ... }." + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchSize' (hocon/app.conf(7,42)) is \"lots\"" + NotWholeNumber + NL +
            "- 'WriteBehind:Caches:scores:ReadThrough' (hocon/overrides.conf(3,17)) is \"sometimes\"" + NotBoolean,
            error.Message);
    }

    [Fact]
    public async Task StartAsync_HoconString_NamesTheStringLineAndColumn()
    {
        var error = await TestHost.StartFailsAsync(configuration => configuration.AddHoconString("""
            WriteBehind.Caches.scores {
              max-batch-size = 10
              akka { loglevel = INFO }
              Journal = on
              ShutdownTimeout = null
            }
            """));

        Assert.Equal(
            Head + NL +
            "- 'WriteBehind:Caches:scores:akka' (<string>(3,8))" + NoSetting + NL +
            "- 'WriteBehind:Caches:scores:max-batch-size' (<string>(2,20))" + NoSetting + NL +
            "- 'WriteBehind:Caches:scores:Journal' (<string>(4,13)) is \"True\", but Journal is a section of settings: write Journal { ... } in HOCON, or an object in JSON (the journal is on only with a Journal section naming its Directory)." + NL +
            "- 'WriteBehind:Caches:scores:ShutdownTimeout' (<string>(5,21)) is null, which would set ShutdownTimeout to 00:00:00: leave it out to keep its default, or give it a value.",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_JsonAddedAfterTheHocon_ItsValuesHaveNoPosition_TheHoconValuesItLeavesDo()
    {
        var error = await TestHost.StartFailsAsync(configuration => configuration
            .AddInMemoryCollection(new Dictionary<string, string?> { ["WriteBehind:Caches:scores:MaxBatchSize"] = "7" }) // overridden by the HOCON
            .AddHoconString("""
                WriteBehind.Caches.scores {
                  ReadThrough = sometimes
                  MaxBatchSize = lots
                  Restart = 5
                }
                """)
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""
                { "WriteBehind": { "Caches": { "scores": { "ReadThrough": "maybe", "Restart": { "MaxRestarts": null } } } } }
                """))));

        Assert.Equal(
            Head + NL +
            "- 'WriteBehind:Caches:scores:Restart' (<string>(4,13)) is \"5\", but Restart is a section of settings: write Restart { ... } in HOCON, or an object in JSON." + NL +
            "- 'WriteBehind:Caches:scores:Restart:MaxRestarts' is null, which would set MaxRestarts to 0: leave it out to keep its default, or give it a value." + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchSize' (<string>(3,18)) is \"lots\"" + NotWholeNumber + NL +
            "- 'WriteBehind:Caches:scores:ReadThrough' is \"maybe\"" + NotBoolean,
            error.Message);
    }

    [Fact]
    public async Task StartAsync_EnvironmentStyleKeysAddedAfterTheHocon_HaveNoPosition()
    {
        var error = await TestHost.StartFailsAsync(configuration => configuration
            .AddHoconString("WriteBehind.Caches.scores { ReadThrough = true, MaxBatchDelay = 50 }")
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["WriteBehind:Caches:scores:ReadThrough"] = "sometimes",
                ["WriteBehind:Caches:scores:max-batch-size"] = "10",
            }));

        Assert.Equal(
            Head + NL +
            "- 'WriteBehind:Caches:scores:max-batch-size'" + NoSetting + NL +
            "- 'WriteBehind:Caches:scores:ReadThrough' is \"sometimes\"" + NotBoolean + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' (<string>(1,65)) is 50, a duration without a unit (.NET would read it as 50 days); write it with one: 50ms, 50s, 50 minutes (or 00:00:30 in JSON).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_UnitlessDurationNotFromHocon_AdvisesTheTimeSpanForm_NotUnitsJsonWouldRefuse()
    {
        var error = await TestHost.StartFailsAsync(configuration => configuration
            .AddHoconString("WriteBehind.Caches.scores { MaxBatchDelay = 50 }")
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""
                { "WriteBehind": { "Caches": { "scores": { "TimeToLive": 300, "Restart": { "MaxBackoff": "1e4" } } } } }
                """))));

        Assert.Equal(
            Head + NL +
            "- 'WriteBehind:Caches:scores:MaxBatchDelay' (<string>(1,45)) is 50, a duration without a unit (.NET would read it as 50 days); write it with one: 50ms, 50s, 50 minutes (or 00:00:30 in JSON)." + NL +
            "- 'WriteBehind:Caches:scores:TimeToLive' is 300, a duration without a unit (.NET would read it as 300 days); write it as [d.]hh:mm:ss[.fffffff]: \"00:00:00.3000000\" for 300 ms, \"00:05:00\" for 300 s (units such as 300ms are converted only by the HOCON provider, not in JSON or environment variables)." + NL +
            "- 'WriteBehind:Caches:scores:Restart:MaxBackoff' is 1e4, a duration without a unit (.NET would read it as 1e4 days); write it as [d.]hh:mm:ss[.fffffff]: \"00:00:10\" for 1e4 ms, \"02:46:40\" for 1e4 s (units such as 1e4ms are converted only by the HOCON provider, not in JSON or environment variables).",
            error.Message);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("1e-9")]
    public async Task StartAsync_UnitlessDurationNotFromHocon_ThatNoTimeSpanFormWouldFit_GetsTheGenericExample(string value)
    {
        var error = await TestHost.StartFailsAsync(configuration => configuration
            .AddHoconString("WriteBehind.Caches.scores { MaxBatchSize = 10 }")
            .AddInMemoryCollection(new Dictionary<string, string?> { ["WriteBehind:Caches:scores:TimeToLive"] = value }));

        Assert.Contains($"'WriteBehind:Caches:scores:TimeToLive' is {value}, a duration without a unit (.NET would read it as {value} days); write it as [d.]hh:mm:ss[.fffffff], such as \"00:00:30\" for 30 s (units", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ValuesOutOfRangeFromHocon_NameWhereTheyWereSet()
    {
        using var folder = new TempFolder();
        folder.Write("hocon/app.conf", "include \"caches.conf\"\nWriteBehind.Caches.scores.Restart.MaxBackoff = 10ms");
        folder.Write("hocon/caches.conf", """
            WriteBehind.Caches.scores {
              Parallelism = 0
              TimeToLive = -5s
              Restart { MinBackoff = 50ms }
              Health { BacklogThreshold = -1 }
            }
            """);

        var error = await TestHost.StartFailsAsync(configuration => configuration.SetBasePath(folder.Root).AddHoconFile("hocon/app.conf"));

        Assert.Equal(
            Head + NL +
            "- Parallelism is 0; it must be greater than zero. Set at 'WriteBehind:Caches:scores:Parallelism' (hocon/caches.conf(2,17))." + NL +
            "- TimeToLive is -00:00:05; use 0 for no expiry or a positive duration. Set at 'WriteBehind:Caches:scores:TimeToLive' (hocon/caches.conf(3,16))." + NL +
            "- Restart.MaxBackoff (00:00:00.0100000) is less than Restart.MinBackoff (00:00:00.0500000). Set at 'WriteBehind:Caches:scores:Restart:MaxBackoff' (hocon/app.conf(2,48)) and 'WriteBehind:Caches:scores:Restart:MinBackoff' (hocon/caches.conf(4,26))." + NL +
            "- Health.BacklogThreshold is -1; it must be zero or more (pending entries). Set at 'WriteBehind:Caches:scores:Health:BacklogThreshold' (hocon/caches.conf(5,31)).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_ValuesOutOfRangeFromHoconKeysInAnotherCase_NameWhereTheyWereSet()
    {
        // Keys bind in any case; the problems name the settings in theirs.
        var error = await TestHost.StartFailsAsync(configuration => configuration.AddHoconString(
            "WriteBehind.Caches.scores { parallelism = 0, restart { minbackoff = 50ms, maxbackoff = 10ms }, health { lagthreshold = -1s } }"));

        Assert.Equal(
            Head + NL +
            "- Parallelism is 0; it must be greater than zero. Set at 'WriteBehind:Caches:scores:parallelism' (<string>(1,43))." + NL +
            "- Restart.MaxBackoff (00:00:00.0100000) is less than Restart.MinBackoff (00:00:00.0500000). Set at 'WriteBehind:Caches:scores:Restart:maxbackoff' (<string>(1,88)) and 'WriteBehind:Caches:scores:Restart:minbackoff' (<string>(1,69))." + NL +
            "- Health.LagThreshold is -00:00:01; it must be zero or more. Set at 'WriteBehind:Caches:scores:Health:lagthreshold' (<string>(1,120)).",
            error.Message);
    }

    [Fact]
    public async Task StartAsync_ValueOutOfRangeThatCodeSetAfterTheHocon_NamesOnlyThePositionsOfValuesStillInForce()
    {
        // The HOCON's Parallelism (0) is replaced by code after the binding: the 9 that fails is not the file's, the
        // ShardCount it fails against is.
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconString("WriteBehind.Caches.scores { Parallelism = 0, ShardCount = 4 }");
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>())
            .BindConfiguration("WriteBehind:Caches:scores")
            .Configure(o => o with { Parallelism = 9 });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(Head + NL + "- Parallelism is 9 but ShardCount is 4; each writer owns at least one shard, so set Parallelism to at most ShardCount. Set at 'WriteBehind:Caches:scores:ShardCount' (<string>(1,59)).", error.Message);
    }

    [Fact]
    public async Task StartAsync_ValueOutOfRangeFromCodeWhoseHoconValueDoesNotConvert_NamesNoPositionForTheRange()
    {
        // The HOCON's "soon" is left out of the binding, so TimeToLive keeps the -5 s that code gave it: the range
        // problem is not the file's, and only the conversion problem names where "soon" was written.
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconString("WriteBehind.Caches.scores { TimeToLive = soon }");
        builder.Services.AddWriteBehindCache<string, string>("scores", configure: o => o with { TimeToLive = TimeSpan.FromSeconds(-5) })
            .UseStore(new InMemoryStore<string>())
            .BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.StartsWith(Head + NL + "- TimeToLive is -00:00:05; use 0 for no expiry or a positive duration." + NL + "- 'WriteBehind:Caches:scores:TimeToLive' (<string>(1,42)) is \"soon\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_HoconFileChangedAndReloaded_NamesTheNewPosition()
    {
        using var folder = new TempFolder();
        folder.Write("hocon/app.conf", "WriteBehind.Caches.scores.ReadThrough = sometimes");

        var error = await TestHost.StartFailsAsync(configuration =>
        {
            configuration.SetBasePath(folder.Root).AddHoconFile("hocon/app.conf");
            folder.Write("hocon/app.conf", "WriteBehind.Caches.scores {\n  # moved down\n  ReadThrough = often\n}");
            ((IConfigurationRoot)configuration).Reload();
        });

        Assert.Equal(Head + NL + "- 'WriteBehind:Caches:scores:ReadThrough' (hocon/app.conf(3,17)) is \"often\"" + NotBoolean, error.Message);
    }

    [Fact]
    public async Task StartAsync_HoconInAChainedConfiguration_NamesThePosition()
    {
        var hocon = new ConfigurationBuilder().AddHoconString("WriteBehind.Caches.scores.ReadThrough = sometimes").Build();

        var error = await TestHost.StartFailsAsync(configuration => configuration.AddConfiguration(hocon));

        Assert.Equal(Head + NL + "- 'WriteBehind:Caches:scores:ReadThrough' (<string>(1,41)) is \"sometimes\"" + NotBoolean, error.Message);
    }

    /// <summary>A folder of configuration files, deleted after the test.</summary>
    private sealed class TempFolder : IDisposable
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("writebehind-hocon-");

        public string Root => _directory.FullName;

        public void Write(string path, string text)
        {
            var full = Path.Combine(Root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }

        public void Dispose() => _directory.Delete(recursive: true);
    }
}
