namespace WriteBehindAkka.Sharding;

/// <summary>
/// What an entry counted for in the shard's pending entries and bytes before a change. Taken before the change
/// (<see cref="CacheEntry{TKey}.Pending"/>), so the entry itself need not remember what it was counted for.
/// </summary>
/// <param name="IsPending">Whether the entry was pending.</param>
/// <param name="Bytes">The bytes it counted for.</param>
/// <param name="Unrecorded">Whether it counted as a failed write recorded nowhere else (the dead-letter sink refused it).</param>
internal readonly record struct PendingState(bool IsPending, int Bytes, bool Unrecorded);
