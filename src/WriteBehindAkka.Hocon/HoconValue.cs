namespace WriteBehindAkka.Hocon;

/// <summary>
/// A fully resolved HOCON value: a <see cref="HoconObject"/>, a <see cref="HoconArray"/> or a
/// <see cref="HoconScalar"/>. Resolved trees contain no substitutions and are immutable.
/// </summary>
public abstract class HoconValue
{
    private protected HoconValue(HoconPosition position, long values, long characters, int depth)
    {
        Position = position;
        Values = values;
        Characters = characters;
        Depth = depth;
    }

    /// <summary>Where the value was written (for merged objects, where the first part was written).</summary>
    public HoconPosition Position { get; }

    /// <summary>
    /// Gets how many values (objects, arrays and scalars, this one included) the value holds, counting a value every
    /// time it is used: resolved values share what substitutions repeat, but flattening writes out every use.
    /// </summary>
    internal long Values { get; }

    /// <summary>Gets how many characters of scalar text the value holds, counting every use as <see cref="Values"/> does.</summary>
    internal long Characters { get; }

    /// <summary>Gets how many objects and arrays are nested in the value, this one included (0 for a scalar).</summary>
    internal int Depth { get; }
}
