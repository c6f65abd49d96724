namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// Several values written on one line without separators (<c>hello ${name}</c>, <c>${list} [4]</c>) whose
/// type is only known after substitution: strings join, arrays append, objects merge.
/// </summary>
internal sealed class SyntaxConcatenation(HoconPosition position, List<SyntaxValue> parts) : SyntaxValue(position)
{
    /// <summary>The parts, including <see cref="SyntaxWhitespace"/> between them.</summary>
    public List<SyntaxValue> Parts { get; } = parts;
}
