namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>The names of the caches registered in one service collection, so that a name is used once.</summary>
internal sealed class CacheNameRegistry
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Claims a name.</summary>
    /// <param name="name">The cache's name.</param>
    /// <returns>False when another cache already has it.</returns>
    public bool TryAdd(string name) => _names.Add(name);
}
