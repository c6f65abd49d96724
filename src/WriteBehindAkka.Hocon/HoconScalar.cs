namespace WriteBehindAkka.Hocon;

/// <summary>A string, number, boolean or null value.</summary>
public sealed class HoconScalar : HoconValue
{
    internal HoconScalar(HoconScalarKind kind, string? value, bool isQuoted, HoconPosition position)
        : base(position, 1, value?.Length ?? 0, 0)
    {
        Kind = kind;
        Value = value;
        IsQuoted = isQuoted;
    }

    /// <summary>What kind of scalar this is.</summary>
    public HoconScalarKind Kind { get; }

    /// <summary>
    /// The text of the value: the string itself, the number as written, <c>true</c> or <c>false</c>,
    /// or <see langword="null"/> for <see cref="HoconScalarKind.Null"/>.
    /// </summary>
    public string? Value { get; }

    /// <summary>
    /// <see langword="true"/> when the value was written as a quoted or triple-quoted string, came from an
    /// environment variable, or is a concatenation containing a quoted part; such strings are never read
    /// as the words <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c>.
    /// </summary>
    public bool IsQuoted { get; }

    /// <inheritdoc />
    public override string ToString() => Value ?? "null";
}
