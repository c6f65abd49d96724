namespace WriteBehindAkka.Sharding;

/// <summary>
/// A message in a shard's mailbox. A struct, so that a Tell allocates nothing beyond the serialized value.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Kind">What to do.</param>
/// <param name="Key">The key (default for Flush and Wake).</param>
/// <param name="Value">The serialized value of a Set.</param>
/// <param name="Reply">
/// The Ask's completion source: <c>TaskCompletionSource&lt;WriteResult&gt;</c> for writes (null for a Tell),
/// <c>TaskCompletionSource&lt;byte[]?&gt;</c> for Get, <c>TaskCompletionSource&lt;KeyStatus&gt;</c> for Status,
/// <c>TaskCompletionSource&lt;long&gt;</c> for Flush.
/// </param>
/// <param name="Consistency">For writes: when to answer.</param>
/// <param name="Admitted">
/// For writes: let through the capacity gate, whose admission the shard ends once it has handled the write (counted
/// it, or refused it), so that the gate's other waiters see the write in the pending bound before they re-check it.
/// </param>
internal readonly record struct ShardCommand<TKey>(CommandKind Kind, TKey Key, byte[]? Value, object? Reply, WriteConsistency Consistency, bool Admitted = false);
