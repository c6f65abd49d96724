namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// The names of the caches registered in one service collection, so that a name is used once. Compared ignoring
/// case: configuration keys and health-check names ignore it, so "Scores" and "scores" would share a section and
/// clash as health checks.
/// </summary>
internal sealed class CacheNameRegistry
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Claims a name.</summary>
    /// <param name="name">The cache's name.</param>
    /// <param name="existing">The name already registered that it clashes with.</param>
    /// <returns>False when another cache already has it, in any case.</returns>
    public bool TryAdd(string name, out string existing)
    {
        if (_names.TryGetValue(name, out existing!))
        {
            return false;
        }

        _names.Add(name);
        existing = name;
        return true;
    }
}
