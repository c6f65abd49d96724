namespace WriteBehindAkka.Sharding;

/// <summary>What a <see cref="ShardCommand{TKey}"/> asks of a shard.</summary>
internal enum CommandKind : byte
{
    Set,
    Delete,
    Get,

    /// <summary>Reads several keys; the misses are loaded in one store call (the reply is a <see cref="GetManyRequest{TKey}"/>).</summary>
    GetMany,

    /// <summary>Reads a key for an atomic update (the reply is a <c>TaskCompletionSource&lt;UpdateSnapshot&gt;</c>).</summary>
    ReadForUpdate,
    Status,

    /// <summary>Drops the key's clean entry from memory (the reply is a <c>TaskCompletionSource&lt;bool&gt;</c>).</summary>
    Evict,

    /// <summary>Drops every clean entry of the shard from memory (the reply is a <c>TaskCompletionSource&lt;long&gt;</c>: how many).</summary>
    EvictAll,
    Flush,

    /// <summary>Nothing to do: a doorbell rung when signals wait in the shard's system queue.</summary>
    Wake,

    /// <summary>Loads writes replayed from the journal.</summary>
    Recover,

    /// <summary>Throws inside the shard loop (supervision tests).</summary>
    Crash,

    /// <summary>An operator retries a dead letter (the reply is a <see cref="ResubmitRequest"/>).</summary>
    Resubmit,

    /// <summary>An operator discarded a dead letter (the reply is a <see cref="ForgetRequest"/>).</summary>
    Forget,

    /// <summary>The journal is about to drop old segments: copy the unrecorded failures forward (the reply is a <see cref="RejournalRequest"/>).</summary>
    Rejournal,
}
