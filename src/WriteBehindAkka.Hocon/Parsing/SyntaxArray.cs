namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>An array literal.</summary>
internal sealed class SyntaxArray(HoconPosition position, List<SyntaxValue> items) : SyntaxValue(position)
{
    /// <summary>The elements as written.</summary>
    public List<SyntaxValue> Items { get; } = items;
}
