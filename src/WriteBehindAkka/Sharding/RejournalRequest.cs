namespace WriteBehindAkka.Sharding;

/// <summary>
/// The Ask of a journal truncation: append again the records of the shard's unrecorded failures (refused by the
/// store and by the dead-letter sink) to the current segment, so that older segments can go. The answer is one
/// task per record, completed once its copy is fsynced.
/// </summary>
internal sealed class RejournalRequest() : TaskCompletionSource<List<Task<WriteResult>>>(TaskCreationOptions.RunContinuationsAsynchronously);
