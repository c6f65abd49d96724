namespace WriteBehindAkka.Hocon;

/// <summary>The kind of a <see cref="HoconScalar"/>.</summary>
public enum HoconScalarKind
{
    /// <summary>A quoted string, an unquoted string or a value concatenation.</summary>
    String,

    /// <summary>A number in JSON syntax, kept exactly as written (for example <c>1e5</c> stays <c>1e5</c>).</summary>
    Number,

    /// <summary>The unquoted words <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>The unquoted word <c>null</c>.</summary>
    Null,
}
