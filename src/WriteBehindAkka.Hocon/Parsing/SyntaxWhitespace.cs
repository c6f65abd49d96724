namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>Whitespace between two parts of a value concatenation; kept only when the result is a string.</summary>
internal sealed class SyntaxWhitespace(HoconPosition position, string text) : SyntaxValue(position)
{
    /// <summary>The whitespace exactly as written.</summary>
    public string Text { get; } = text;
}
