using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Npgsql;
using WriteBehindAkka.Demo.Leaderboard;
using WriteBehindAkka.Demo.Load;
using WriteBehindAkka.Demo.Metrics;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Hocon;
using WriteBehindAkka.Hosting;
using WriteBehindAkka.Hosting.PostgreSql;
using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.Demo;

/// <summary>
/// The demo application and what it owns: the web host, the PostgreSQL data source, and the throwaway cluster it
/// started when no connection string was configured. Disposing it stops all three, in that order.
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    /// <summary>The name of the demo's cache (its service key, metrics tag and configuration section).</summary>
    public const string CacheName = "scores";

    /// <summary>The connection string's name: <c>ConnectionStrings:WriteBehind</c> (or <c>ConnectionStrings__WriteBehind</c>).</summary>
    public const string ConnectionStringName = "WriteBehind";

    private readonly NpgsqlDataSource _dataSource;
    private readonly LocalPostgresCluster? _cluster;

    private DemoHost(WebApplication app, NpgsqlDataSource dataSource, LocalPostgresCluster? cluster, string database)
    {
        App = app;
        _dataSource = dataSource;
        _cluster = cluster;
        Database = database;
    }

    /// <summary>Gets the web application.</summary>
    public WebApplication App { get; }

    /// <summary>Gets which PostgreSQL the demo writes to, in words.</summary>
    public string Database { get; }

    /// <summary>Gets the address the server listens on, once started (for example <c>http://127.0.0.1:5080</c>).</summary>
    public Uri BaseAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// Builds the demo. The connection string comes from configuration (<c>ConnectionStrings:WriteBehind</c>), else from
    /// <c>WRITEBEHIND_PG_CONNECTION</c>; with neither, a throwaway local cluster is started (and deleted on dispose).
    /// </summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Demo:Load:WritesPerSecond=2000</c>, ...).</param>
    /// <param name="cancellationToken">Cancels starting the cluster.</param>
    /// <returns>The demo, not started yet.</returns>
    public static async Task<DemoHost> CreateAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        // HOCON first, so that appsettings.json, environment variables and the command line override it.
        builder.Configuration.Sources.Insert(0, new HoconConfigurationSource
        {
            Path = "hocon/demo.conf",
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        });
        var options = DemoOptions.Bind(builder.Configuration); // before a cluster is started for nothing
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(options.Url);
        }

        LocalPostgresCluster? cluster = null;
        string database;
        string? connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (connectionString is not null)
        {
            database = $"the server in ConnectionStrings:{ConnectionStringName}";
        }
        else if ((connectionString = LocalPostgresCluster.ExternalConnectionString()) is not null)
        {
            database = $"the server in {LocalPostgresCluster.ExternalConnectionVariable}";
        }
        else
        {
            cluster = await LocalPostgresCluster.StartAsync(cancellationToken: cancellationToken);
            connectionString = cluster.ConnectionString;
            database = $"a throwaway cluster on 127.0.0.1:{cluster.Port}, deleted on exit (set {LocalPostgresCluster.ExternalConnectionVariable} to use your own)";
        }

        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var table = new LeaderboardTable(dataSource, options.Table);
            AddServices(builder, options, table, dataSource);
            var app = builder.Build();
            MapEndpoints(app);
            return new DemoHost(app, dataSource, cluster, database);
        }
        catch
        {
            await dataSource.DisposeAsync();
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Creates the table if missing, then starts the host (and with it the cache).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server listens.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var table = App.Services.GetRequiredService<LeaderboardTable>();
        try
        {
            await table.EnsureCreatedAsync(cancellationToken);
        }
        catch (NpgsqlException error) when (!cancellationToken.IsCancellationRequested)
        {
            // Said once, naming where the address came from: a stale WRITEBEHIND_PG_CONNECTION in the shell is easy to miss.
            throw new DemoDatabaseException(
                $"Could not create the demo's table on {Database}: {error.Message}. Check that the server is up and the connection string is right, " +
                $"or unset {LocalPostgresCluster.ExternalConnectionVariable} (and ConnectionStrings:{ConnectionStringName}) to let the demo start a throwaway cluster of its own.",
                error);
        }

        try
        {
            await App.StartAsync(cancellationToken);
        }
        catch
        {
            // A start that failed part-way (the port taken, say) is stopped as a host stops: the background services
            // that began end quietly (otherwise the host reports their cancellation as a crash), and the cache drains.
            try
            {
                await App.StopAsync(CancellationToken.None);
            }
            catch (ArgumentNullException)
            {
                // A host that failed before it had its hosted services (an invalid cache setting fails while they are
                // built) has nothing to stop, and its StopAsync throws this: the start's error, rethrown below, is the
                // one that says what to fix.
            }

            throw;
        }

        Log.Database(App.Services.GetRequiredService<ILogger<DemoHost>>(), Database);
    }

    /// <summary>Stops the host: the load generator and the web server stop, then the cache drains into PostgreSQL.</summary>
    /// <param name="cancellationToken">Ends the drain early.</param>
    /// <returns>A task that completes when stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.DisposeAsync();
        }
        finally
        {
            try
            {
                await _dataSource.DisposeAsync();
            }
            finally
            {
                if (_cluster is not null)
                {
                    await _cluster.DisposeAsync();
                }
            }
        }
    }

    private static void AddServices(WebApplicationBuilder builder, DemoOptions options, LeaderboardTable table, NpgsqlDataSource dataSource)
    {
        var services = builder.Services;
        services.Configure<DemoOptions>(builder.Configuration.GetSection(DemoOptions.Section));
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddProblemDetails();
        services.TryAddSingleton(TimeProvider.System);

        services.AddWriteBehindCache<long, PlayerScore>(CacheName)
            .BindConfiguration("WriteBehind:Caches:" + CacheName)
            .UsePostgreSql(store => store.DataSource = dataSource, table.Mapping());

        services.AddSingleton(table);
        services.AddSingleton(_ => new MetricsCollector(WriteBehindMetrics.MeterName));
        services.AddSingleton(new LiveStats(options.History));
        services.AddHostedService<LiveStatsSampler>();
        services.AddSingleton<LoadGenerator>();
        services.AddHostedService(provider => provider.GetRequiredService<LoadGenerator>());
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapScores();
        app.MapLoad();
        app.MapMetrics();
        app.MapHealthChecks("/health");
    }
}

/// <summary>The demo could not use its PostgreSQL at start; the message says which server and what to do.</summary>
/// <param name="message">What failed, where the address came from, and the fix.</param>
/// <param name="inner">The driver's error.</param>
public sealed class DemoDatabaseException(string message, Exception inner) : Exception(message, inner);
