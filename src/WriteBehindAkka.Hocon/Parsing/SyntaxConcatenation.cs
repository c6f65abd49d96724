namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// Several values written on one line without separators (<c>hello ${name}</c>, <c>${list} [4]</c>) whose
/// type is only known after substitution: strings join, arrays append, objects merge.
/// </summary>
internal sealed class SyntaxConcatenation(HoconPosition position, List<SyntaxValue> parts, string? appendedTo = null)
    : SyntaxValue(position)
{
    /// <summary>For <c>key += value</c> (read as <c>key = ${?key} [value]</c>), the key as written; otherwise <see langword="null"/>.</summary>
    public string? AppendedTo { get; } = appendedTo;

    /// <summary>The parts, including <see cref="SyntaxWhitespace"/> between them.</summary>
    public List<SyntaxValue> Parts { get; } = parts;
}
