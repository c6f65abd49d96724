namespace WriteBehindAkka.Hocon;

/// <summary>
/// A fully resolved HOCON value: a <see cref="HoconObject"/>, a <see cref="HoconArray"/> or a
/// <see cref="HoconScalar"/>. Resolved trees contain no substitutions and are immutable.
/// </summary>
public abstract class HoconValue
{
    private protected HoconValue(HoconPosition position) => Position = position;

    /// <summary>Where the value was written (for merged objects, where the first part was written).</summary>
    public HoconPosition Position { get; }
}
