using WriteBehindAkka.Benchmarks.Cli;
using WriteBehindAkka.Benchmarks.Micro;
using WriteBehindAkka.Benchmarks.Suite;

if (args.Length > 0 && args[0] == "micro")
{
    return MicroBenchmarks.Run(args[1..]);
}

if (args is ["hits"])
{
    return await WriteBehindAkka.Benchmarks.Reads.HitRatio.RunAsync(CancellationToken.None); // reads from memory under MaxCachedEntries
}

bool reads = args is ["reads"]; // cold reads: GetManyAsync against concurrent GetAsync (see ColdReads)
SuiteCommandLine command;
try
{
    command = SuiteCommandLine.Parse(reads ? [] : args, DateTimeOffset.Now);
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

// Ctrl+C or SIGTERM cancels the run, so that the throwaway PostgreSQL it started is stopped and deleted.
using var cancel = new CancellationTokenSource();
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
try
{
    return reads
        ? await WriteBehindAkka.Benchmarks.Reads.ColdReads.RunAsync(cancel.Token)
        : await StandardSuite.RunAsync(command, cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped: the run was cancelled; its PostgreSQL, if it started one, is stopped and deleted.");
    return 130;
}

void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}
