using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Sharding;

/// <summary>A read-through load finished.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="key">The key loaded.</param>
/// <param name="row">The row, or <see langword="null"/> when there is none (or on an error).</param>
/// <param name="error">Why the load failed, or <see langword="null"/>.</param>
/// <param name="startedAt">When the load was asked of the store (a <see cref="TimeProvider.GetTimestamp"/> reading): the row is as old as that.</param>
internal sealed class LoadCompletedSignal<TKey>(TKey key, StoredEntry? row, Exception? error, long startedAt) : ShardSignal
    where TKey : notnull
{
    public TKey Key { get; } = key;

    public StoredEntry? Row { get; } = row;

    public Exception? Error { get; } = error;

    public long StartedAt { get; } = startedAt;
}
