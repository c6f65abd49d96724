using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Fixtures;

/// <summary>Builds real generic hosts (Host.CreateApplicationBuilder) for the tests.</summary>
public static class TestHost
{
    /// <summary>The real-time budget for something that should happen at once.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    /// <summary>A builder with no default sources or loggers, its content root at the test's output directory, and a log capture.</summary>
    public static HostApplicationBuilder Builder(CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        return builder;
    }

    /// <summary>
    /// Starts a host whose cache "scores" binds the section WriteBehind:Caches:scores of the configuration
    /// <paramref name="configure"/> builds, and returns the validation error the start fails with.
    /// </summary>
    public static async Task<OptionsValidationException> StartFailsAsync(Action<IConfigurationBuilder> configure)
    {
        var builder = Builder();
        configure(builder.Configuration);
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>()).BindConfiguration("WriteBehind:Caches:scores");
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    /// <summary>Small, deterministic settings: two shards, one writer, batches of one, no jitter.</summary>
    public static WriteBehindOptions Small(WriteBehindOptions options) => options with
    {
        ShardCount = 2,
        Parallelism = 1,
        MaxBatchSize = 1,
        Restart = new RestartSettings { MinBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1), RandomFactor = 0 },
    };

    /// <summary>Runs every health check and returns the entry of one cache.</summary>
    public static async Task<HealthReportEntry> HealthOf(IHost host, string cache = WriteBehindServiceCollectionExtensions.DefaultName)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(Within);
        return report.Entries["writebehind-" + cache];
    }
}
