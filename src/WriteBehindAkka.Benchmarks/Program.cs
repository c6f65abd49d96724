using WriteBehindAkka.Benchmarks.Cli;
using WriteBehindAkka.Benchmarks.Micro;
using WriteBehindAkka.Benchmarks.Suite;

if (args.Length > 0 && args[0] == "micro")
{
    return MicroBenchmarks.Run(args[1..]);
}

SuiteCommandLine command;
try
{
    command = SuiteCommandLine.Parse(args, DateTimeOffset.Now);
}
catch (ArgumentException error)
{
    await Console.Error.WriteLineAsync(error.Message);
    await Console.Error.WriteLineAsync(SuiteCommandLine.Usage);
    return 64;
}

if (command.Help)
{
    Console.WriteLine(SuiteCommandLine.Usage);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await StandardSuite.RunAsync(command, cancel.Token);
