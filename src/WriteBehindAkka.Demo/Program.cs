using WriteBehindAkka.Demo;

// dotnet run -c Release --project src/WriteBehindAkka.Demo
// Starts PostgreSQL if none is configured, creates the table, serves the leaderboard API and the live page.
await using var demo = await DemoHost.CreateAsync(args);
await demo.StartAsync();
Console.WriteLine();
Console.WriteLine($"WriteBehindAkka demo: open {demo.BaseAddress} (Ctrl+C to stop)");
Console.WriteLine($"PostgreSQL: {demo.Database}");
Console.WriteLine();
await demo.App.WaitForShutdownAsync();
