using System.Runtime.InteropServices;
using WriteBehindAkka.Demo;

// dotnet run -c Release --project src/WriteBehindAkka.Demo
// Starts PostgreSQL if none is configured, creates the table, serves the leaderboard API and the live page.
// Until the host's own handlers are in place, Ctrl+C or SIGTERM cancels the start, so that a PostgreSQL started on
// the way is stopped and deleted instead of outliving the process.
using var starting = new CancellationTokenSource();
var signals = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }
    .Select(signal => PosixSignalRegistration.Create(signal, context =>
    {
        context.Cancel = true;
        starting.Cancel();
    }))
    .ToList();
DemoHost demo;
try
{
    demo = await DemoHost.CreateAsync(args, starting.Token);
}
catch (OperationCanceledException) when (starting.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped while starting.");
    return 130;
}
catch (ArgumentException error)
{
    // Invalid settings (the Demo section, the table's name): said once, without a stack trace; nothing was left running.
    Console.Error.WriteLine(error.Message);
    return 2;
}

await using (demo)
{
    try
    {
        await demo.StartAsync(starting.Token);
    }
    catch (OperationCanceledException) when (starting.IsCancellationRequested)
    {
        Console.Error.WriteLine("Stopped while starting.");
        return 130;
    }
    catch (Microsoft.Extensions.Options.OptionsValidationException error)
    {
        // The cache's settings (a mistyped key, a value out of range): the message lists each.
        Console.Error.WriteLine(error.Message);
        return 2;
    }
    catch (DemoDatabaseException error)
    {
        Console.Error.WriteLine(error.Message);
        return 1;
    }
    catch (IOException error) when (error.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
    {
        Console.Error.WriteLine($"{error.Message} Listen elsewhere with --urls http://127.0.0.1:6000 (or stop what uses the port).");
        return 1;
    }
    finally
    {
        // From here on the host's console lifetime handles the signals: it stops the web server, then drains the cache.
        signals.ForEach(registration => registration.Dispose());
    }

    Console.WriteLine();
    Console.WriteLine($"WriteBehindAkka demo: open {demo.BaseAddress} (Ctrl+C to stop)");
    Console.WriteLine($"PostgreSQL: {demo.Database}");
    Console.WriteLine();
    await demo.App.WaitForShutdownAsync();
    return 0;
}
