using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Sharding;

/// <summary>A read-through load finished.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class LoadCompletedSignal<TKey>(TKey key, StoredEntry? row, Exception? error) : ShardSignal
    where TKey : notnull
{
    public TKey Key { get; } = key;

    public StoredEntry? Row { get; } = row;

    public Exception? Error { get; } = error;
}
