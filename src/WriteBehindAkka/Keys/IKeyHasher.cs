namespace WriteBehindAkka.Keys;

/// <summary>
/// A stable 64-bit hash of a key: the same key gives the same hash in every process and on every machine
/// (unlike <see cref="object.GetHashCode"/>), so shard ownership is reproducible.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public interface IKeyHasher<in TKey>
{
    /// <summary>Hashes a key.</summary>
    /// <param name="key">The key, never null.</param>
    /// <returns>A well-mixed 64-bit hash.</returns>
    ulong Hash(TKey key);
}
