namespace WriteBehindAkka.Journal;

/// <summary>A record for the journal's writer loop, and whom to answer once it is durable enough.</summary>
/// <param name="Record">The record, encoded (header, payload, checksum) by the shard; <see langword="null"/> for a bare fsync request.</param>
/// <param name="Version">The write's version.</param>
/// <param name="Reply">The Ask to complete when the fsync policy is met (null for a Tell or a Committed-level write).</param>
/// <param name="RequireFsync">Whether this record must be fsynced before its answer, whatever the policy.</param>
internal readonly record struct JournalAppend(byte[]? Record, long Version, TaskCompletionSource<WriteResult>? Reply, bool RequireFsync);
