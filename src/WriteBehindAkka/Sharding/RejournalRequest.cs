namespace WriteBehindAkka.Sharding;

/// <summary>
/// The Ask of a journal truncation: append again the records of the shard's unrecorded failures (refused by the
/// store and by the dead-letter sink) to the current segment, so that older segments can go. The answer is one
/// task per copy, completed once it is fsynced, and the oldest segment that holds the latest copy of one of them
/// (<see cref="long.MaxValue"/> when the shard has none): segments from there on must stay.
/// </summary>
/// <param name="upToSegment">The segments the truncation would delete: a record whose copy is older is copied again.</param>
internal sealed class RejournalRequest(long upToSegment) : TaskCompletionSource<(List<Task<WriteResult>> Copies, long OldestCopy)>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public long UpToSegment { get; } = upToSegment;
}
