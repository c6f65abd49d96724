using WriteBehindAkka.Soak;

var (options, problem) = SoakOptions.Parse(args);
if (options is null)
{
    if (!string.IsNullOrEmpty(problem))
    {
        Console.Error.WriteLine(problem);
    }

    Console.Error.WriteLine(SoakOptions.Usage);
    return string.IsNullOrEmpty(problem) ? 0 : 2;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

return await new SoakRun(options).RunAsync(interrupt.Token) ? 0 : 1;
