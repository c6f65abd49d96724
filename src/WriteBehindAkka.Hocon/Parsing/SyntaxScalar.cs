namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>A string, number, boolean or null literal.</summary>
internal sealed class SyntaxScalar(HoconPosition position, HoconScalarKind kind, string? text, bool isQuoted)
    : SyntaxValue(position)
{
    /// <summary>The kind of literal.</summary>
    public HoconScalarKind Kind { get; } = kind;

    /// <summary>The text as it will appear in concatenations; <see langword="null"/> for null.</summary>
    public string? Text { get; } = text;

    /// <summary>Whether any part was quoted (quoted text is never read as yes/no/on/off).</summary>
    public bool IsQuoted { get; } = isQuoted;

    /// <summary>The text used when the value is part of a string concatenation.</summary>
    public string ConcatenationText => Text ?? "null";
}
