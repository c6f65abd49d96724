using WriteBehindAkka.Demo;

// dotnet run -c Release --project src/WriteBehindAkka.Demo
// Starts PostgreSQL if none is configured, creates the table, serves the leaderboard API and the live page.
await using var demo = await DemoHost.CreateAsync(args);
try
{
    await demo.StartAsync();
}
catch (IOException error) when (error.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"{error.Message} Listen elsewhere with --urls http://127.0.0.1:6000 (or stop what uses the port).");
    return 1;
}

Console.WriteLine();
Console.WriteLine($"WriteBehindAkka demo: open {demo.BaseAddress} (Ctrl+C to stop)");
Console.WriteLine($"PostgreSQL: {demo.Database}");
Console.WriteLine();
await demo.App.WaitForShutdownAsync();
return 0;
