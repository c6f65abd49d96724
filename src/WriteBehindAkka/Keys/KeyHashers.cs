namespace WriteBehindAkka.Keys;

/// <summary>The built-in stable key hashers: <see cref="string"/>, <see cref="long"/>, <see cref="int"/> and <see cref="Guid"/>.</summary>
public static class KeyHashers
{
    /// <summary>Returns the built-in hasher for <typeparamref name="TKey"/>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <returns>The hasher.</returns>
    /// <exception cref="NotSupportedException">There is no built-in hasher for the type.</exception>
    public static IKeyHasher<TKey> For<TKey>()
    {
        object hasher = typeof(TKey) switch
        {
            var t when t == typeof(string) => new StringHasher(),
            var t when t == typeof(long) => new Int64Hasher(),
            var t when t == typeof(int) => new Int32Hasher(),
            var t when t == typeof(Guid) => new GuidHasher(),
            _ => throw new NotSupportedException(
                $"There is no built-in stable hash for keys of type {typeof(TKey).Name}. Use string, long, int or Guid keys, or pass an IKeyHasher<{typeof(TKey).Name}> to the cache."),
        };
        return (IKeyHasher<TKey>)hasher;
    }

    private sealed class StringHasher : IKeyHasher<string>
    {
        public ulong Hash(string key) => StableHash.Hash(key);
    }

    private sealed class Int64Hasher : IKeyHasher<long>
    {
        public ulong Hash(long key) => StableHash.Mix((ulong)key);
    }

    private sealed class Int32Hasher : IKeyHasher<int>
    {
        public ulong Hash(int key) => StableHash.Mix((ulong)(long)key);
    }

    private sealed class GuidHasher : IKeyHasher<Guid>
    {
        public ulong Hash(Guid key)
        {
            Span<byte> bytes = stackalloc byte[16];
            key.TryWriteBytes(bytes);
            return StableHash.Hash(bytes);
        }
    }
}
