namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// Successive values of one key that cannot be merged until substitutions are resolved (for example
/// <c>host = "localhost"</c> followed by <c>host = ${?HOST}</c>). Entries are in the order written;
/// each later entry overrides, or merges into when both are objects, the result of the earlier ones.
/// </summary>
internal sealed class SyntaxMergeStack(HoconPosition position, List<SyntaxValue> entries) : SyntaxValue(position)
{
    /// <summary>The values in the order they were assigned.</summary>
    public List<SyntaxValue> Entries { get; } = entries;
}
