namespace WriteBehindAkka.Sharding;

/// <summary>What a <see cref="ShardCommand{TKey}"/> asks of a shard.</summary>
internal enum CommandKind : byte
{
    Set,
    Delete,
    Get,
    Status,
    Flush,

    /// <summary>Nothing to do: a doorbell rung when signals wait in the shard's system queue.</summary>
    Wake,

    /// <summary>Loads writes replayed from the journal.</summary>
    Recover,

    /// <summary>Throws inside the shard loop (supervision tests).</summary>
    Crash,
}
