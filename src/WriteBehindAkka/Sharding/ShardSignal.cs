namespace WriteBehindAkka.Sharding;

/// <summary>
/// A system message to a shard (Akka's system mailbox): outcomes from writers, timer ticks, loaded rows.
/// Signals go through an unbounded queue that the shard drains before its user mailbox, so a writer never
/// waits on a shard that is busy with user commands.
/// </summary>
internal abstract class ShardSignal
{
}
