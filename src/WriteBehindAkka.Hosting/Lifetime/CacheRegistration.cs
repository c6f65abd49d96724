using WriteBehindAkka.Keys;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>What the builder collected about one cache: its store, serializer and key hasher. Read when the cache is created.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
internal sealed class CacheRegistration<TKey, TValue>
    where TKey : notnull
{
    public CacheRegistration(string name) => Name = name;

    /// <summary>Gets the cache's name (its options name, service key, metrics tag).</summary>
    public string Name { get; }

    /// <summary>Gets or sets what makes the store, given the serializer the cache uses; <see langword="null"/> until a store is chosen.</summary>
    public Func<IServiceProvider, IValueSerializer<TValue>, IWriteBehindStore<TKey>>? StoreFactory { get; set; }

    /// <summary>Gets or sets a value indicating whether the store is disposed with the cache (made by a factory) or left to its owner (given as an instance).</summary>
    public bool OwnsStore { get; set; }

    /// <summary>Gets or sets work to do on the store when the host starts, before the cache is created (for example, creating its table).</summary>
    public Func<IWriteBehindStore<TKey>, CancellationToken, Task>? StoreInitializer { get; set; }

    /// <summary>Gets or sets what makes the serializer; <see langword="null"/> for System.Text.Json.</summary>
    public Func<IServiceProvider, IValueSerializer<TValue>>? SerializerFactory { get; set; }

    /// <summary>Gets or sets the key hasher; <see langword="null"/> for the built-in one.</summary>
    public IKeyHasher<TKey>? KeyHasher { get; set; }

    /// <summary>Gets or sets the configuration section bound with <c>BindConfiguration</c>, named in validation messages.</summary>
    public string? ConfigurationSection { get; set; }
}
