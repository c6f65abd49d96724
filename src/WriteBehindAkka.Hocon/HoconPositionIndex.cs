namespace WriteBehindAkka.Hocon;

/// <summary>
/// The positions of the keys of one load of a HOCON provider, tied to the data dictionary of that load: when the
/// provider's data is replaced (a reload, or an optional file that disappeared), the old positions answer nothing.
/// </summary>
internal sealed class HoconPositionIndex
{
    private readonly IDictionary<string, string?> _data;
    private readonly Dictionary<string, HoconPosition> _positions;

    /// <summary>The values as loaded, to tell them from a value set afterwards.</summary>
    private readonly Dictionary<string, string?> _written;

    private HoconPositionIndex(Dictionary<string, string?> data, Dictionary<string, HoconPosition> positions)
    {
        _data = data;
        _positions = positions;
        _written = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Flattens <paramref name="root"/> into configuration data and the positions of its keys.</summary>
    /// <param name="root">A resolved document.</param>
    /// <returns>The data for the provider, and its positions.</returns>
    public static (Dictionary<string, string?> Data, HoconPositionIndex Positions) Flatten(HoconObject root)
    {
        var positions = new Dictionary<string, HoconPosition>(StringComparer.OrdinalIgnoreCase);
        var data = HoconConfigurationFlattener.FlattenWithPositions(root, positions);
        return (data, new HoconPositionIndex(data, positions));
    }

    /// <summary>A provider's <c>TryGetPosition</c>: the position of <paramref name="key"/> in <paramref name="positions"/>, if the provider has loaded any.</summary>
    /// <param name="positions">The provider's positions (<see langword="null"/> before its first load).</param>
    /// <param name="data">The provider's current data.</param>
    /// <param name="key">The key or section path.</param>
    /// <param name="position">The position.</param>
    /// <returns>Whether it was found.</returns>
    public static bool Find(HoconPositionIndex? positions, IDictionary<string, string?> data, string key, out HoconPosition position)
    {
        ArgumentNullException.ThrowIfNull(key);
        position = default;
        return positions is not null && positions.TryGet(data, key, out position);
    }

    /// <summary>Finds a key's position, if <paramref name="data"/> is still the data it was taken with and the key's value is unchanged.</summary>
    /// <param name="data">The provider's current data.</param>
    /// <param name="key">The key or section path.</param>
    /// <param name="position">The position.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGet(IDictionary<string, string?> data, string key, out HoconPosition position)
    {
        position = default;
        if (!ReferenceEquals(data, _data) || !_positions.TryGetValue(key, out var found))
        {
            return false;
        }

        // A value set after loading (IConfigurationProvider.Set) was not written in the HOCON: on a key, or on a section's path.
        bool written = _written.TryGetValue(key, out var value);
        bool present = data.TryGetValue(key, out var current);
        if (written != present || !string.Equals(current, value, StringComparison.Ordinal))
        {
            return false;
        }

        position = found;
        return true;
    }
}
