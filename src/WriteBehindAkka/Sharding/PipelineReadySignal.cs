namespace WriteBehindAkka.Sharding;

/// <summary>The writer's input buffer has room again: emit what is ready.</summary>
internal sealed class PipelineReadySignal : ShardSignal
{
    public static readonly PipelineReadySignal Instance = new();
}
