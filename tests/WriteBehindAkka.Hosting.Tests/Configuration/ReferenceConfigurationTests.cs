using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Configuration;

/// <summary>hocon/writebehind.conf is the reference configuration: it must say exactly what the code's defaults are.</summary>
public sealed class ReferenceConfigurationTests
{
    private const string Section = "WriteBehind:Caches:default";

    [Fact]
    public void AddHoconFile_ReferenceConfiguration_BindsToTheDefaults()
    {
        var (cache, store) = BindDefaultSection();

        Assert.Empty(cache.UnknownKeys);
        Assert.Equal(new WriteBehindOptions(), cache.Cache);
        var health = new WriteBehindHealthCheckOptions();
        Assert.Equal(
            (health.BacklogThreshold, health.StoreFailureThreshold, health.LagThreshold),
            (cache.Health.BacklogThreshold, cache.Health.StoreFailureThreshold, cache.Health.LagThreshold));
        var defaults = new PostgreSqlStoreOptions();
        Assert.Equal(
            (defaults.ConnectionString, defaults.Schema, defaults.Table, defaults.BatchForm, defaults.CommandTimeout, defaults.CreateTableIfMissing),
            (store.ConnectionString, store.Schema, store.Table, store.BatchForm, store.CommandTimeout, store.CreateTableIfMissing));
    }

    [Fact]
    public void AddHoconFile_ReferenceConfiguration_NamesEverySettingAsAKeyOrACommentedLine()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddHoconFile("hocon/writebehind.conf").Build();
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "writebehind.conf"));

        var missing = new List<string>();
        void Check(Type type, string prefix, string path)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                bool isSection = property.PropertyType == typeof(RestartSettings);
                bool present = isSection || configuration[$"{path}:{property.Name}"] is not null
                    || Regex.IsMatch(text, $@"^\s*#\s*{property.Name}\s*=", RegexOptions.Multiline);
                if (!present)
                {
                    missing.Add(prefix + property.Name);
                }
            }
        }

        Check(typeof(WriteBehindOptions), string.Empty, Section);
        Check(typeof(RestartSettings), "Restart.", Section + ":Restart");
        Check(typeof(WriteBehindAkka.Journal.JournalOptions), "Journal.", Section + ":Journal");
        Check(typeof(WriteBehindHealthCheckOptions), "Health.", Section + ":Health");
        Check(typeof(PostgreSqlStoreOptions), "PostgreSql.", Section + ":PostgreSql");

        Assert.Equal(["PostgreSql.DataSource"], missing);
    }

    [Fact]
    public void AddHoconFile_DemoConfiguration_BindsToValidOptions()
    {
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconFile("hocon/demo.conf");
        builder.Services.AddWriteBehindCache<long, string>("scores").UseStore(new InMemoryStore<long>()).BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptionsMonitor<WriteBehindCacheOptions>>().Get("scores");

        Assert.Equal(new WriteBehindOptions { MaxBatchDelay = TimeSpan.FromMilliseconds(100), ShutdownTimeout = TimeSpan.FromSeconds(20) }, options.Cache);
        Assert.Equal(200_000, options.Health.BacklogThreshold);
    }

    private static (WriteBehindCacheOptions Cache, PostgreSqlStoreOptions Store) BindDefaultSection()
    {
        var builder = TestHost.Builder();
        builder.Configuration.AddHoconFile("hocon/writebehind.conf");
        builder.Services.AddWriteBehindCache<string, string>().UseStore(new InMemoryStore<string>()).BindConfiguration(Section);
        using var host = builder.Build();
        return (
            host.Services.GetRequiredService<IOptionsMonitor<WriteBehindCacheOptions>>().Get("default"),
            host.Services.GetRequiredService<IOptionsMonitor<PostgreSqlStoreOptions>>().Get("default"));
    }
}
