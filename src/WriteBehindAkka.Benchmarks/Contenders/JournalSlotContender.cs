using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// The slot for WriteBehindAkka with its local journal (<c>journal: Always/EverySecond/No</c>). The journal does not
/// exist in this build, so the slot reports "not available" and no figures; when the journal lands, this contender
/// runs the write-behind contender's loop with the journal on.
/// </summary>
internal sealed class JournalSlotContender : IContender
{
    private readonly JournalMode _mode;

    public JournalSlotContender(JournalMode mode) => _mode = mode;

    public string Name => $"write-behind, journal: {_mode}";

    public ContenderKind Kind => ContenderKind.WriteBehind;

    public string Description => $"WriteBehindAkka with the local journal, fsync policy {_mode}";

    public string? Unavailable => "not available: this build has no journal";

    public Task PrepareAsync(RunContext context) => Task.CompletedTask;

    public Task<RunResult> RunAsync(RunContext context) =>
        throw new NotSupportedException($"{Name} is {Unavailable}.");
}
