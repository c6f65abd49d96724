using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WriteBehindAkka.Demo.Tests.Fixtures;

namespace WriteBehindAkka.Demo.Tests;

/// <summary>What the demo says when its start fails after the host began starting.</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoStartFailureTests(DemoPostgresFixture postgres)
{
    [Fact]
    public async Task StartAsync_PortTaken_LogsNoBackgroundServiceFailure()
    {
        // The port was taken: besides the bind error, the host logged "BackgroundService failed" (an
        // OperationCanceledException of the load generator) and a crit "the IHost instance is stopping", which sent the
        // user looking for a bug in the demo.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var demo = await DemoHost.CreateAsync(
        [
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:WriteBehind={postgres.ConnectionString}",
            $"--Demo:Table=demo_{Guid.NewGuid():N}"[..25],
            "--Logging:LogLevel:Default=Warning",
        ]);
        var logs = new CapturingProvider();
        demo.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

        await Assert.ThrowsAsync<IOException>(() => demo.StartAsync().WaitAsync(RunningDemo.Within));
        await demo.DisposeAsync();

        Assert.DoesNotContain(logs.Entries, e => e.Category == "Microsoft.Extensions.Hosting.Internal.Host" && e.EventId is 9 or 10);
        Assert.DoesNotContain(logs.Entries, e => e.Level == LogLevel.Critical);
    }

    [Fact]
    public async Task StartAsync_DatabaseUnreachable_SaysWhichServerAndWhereItsAddressCameFrom()
    {
        // An unreachable server (a stale WRITEBEHIND_PG_CONNECTION in the shell) ended the demo with an unhandled
        // NpgsqlException (exit 134) that named neither the setting nor the fix.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var demo = await DemoHost.CreateAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:WriteBehind=Host=127.0.0.1;Port={port};Username=nobody;Timeout=3",
            "--Logging:LogLevel:Default=Warning",
        ]);

        var error = await Assert.ThrowsAsync<DemoDatabaseException>(() => demo.StartAsync().WaitAsync(RunningDemo.Within));
        await demo.DisposeAsync();

        Assert.StartsWith("Could not create the demo's table on the server in ConnectionStrings:WriteBehind: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("or unset WRITEBEHIND_PG_CONNECTION (and ConnectionStrings:WriteBehind) to let the demo start a throwaway cluster of its own.", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(error.InnerException);
    }

    [Fact]
    public async Task StartAsync_InvalidCacheSetting_ThrowsTheValidationError()
    {
        // A mistyped cache key ended the demo with an unhandled ArgumentNullException (exit 134) thrown by the stop
        // of the host that had failed to start: the message naming the key, and its exit code 2, were lost.
        var demo = await DemoHost.CreateAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:WriteBehind={postgres.ConnectionString}",
            $"--Demo:Table=demo_{Guid.NewGuid():N}"[..25],
            "--WriteBehind:Caches:scores:MaxBatchSiz=5",
            "--Logging:LogLevel:Default=None",
        ]);

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => demo.StartAsync().WaitAsync(RunningDemo.Within));
        await demo.DisposeAsync();

        Assert.Contains("- 'WriteBehind:Caches:scores:MaxBatchSiz' names no setting; check its spelling.", error.Message, StringComparison.Ordinal);
    }

    private sealed record Entry(string Category, LogLevel Level, int EventId, string Message);

    private sealed class CapturingProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyCollection<Entry> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue(new Entry(category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
