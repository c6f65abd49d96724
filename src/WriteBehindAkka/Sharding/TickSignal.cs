namespace WriteBehindAkka.Sharding;

/// <summary>The write-delay timer fired: entries may have become eligible.</summary>
internal sealed class TickSignal : ShardSignal
{
    public static readonly TickSignal Instance = new();
}
