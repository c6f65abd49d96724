namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>An object literal (or the root) whose fields are merged as they are parsed.</summary>
internal sealed class SyntaxObject(HoconPosition position) : SyntaxValue(position)
{
    /// <summary>Fields in first-written order; a repeated key is merged with <see cref="SyntaxMerger"/>.</summary>
    public OrderedDictionary<string, SyntaxValue> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Sets <paramref name="key"/>, merging with an earlier value the way duplicate keys merge.</summary>
    public void Set(string key, SyntaxValue value) =>
        Fields[key] = Fields.TryGetValue(key, out var earlier) ? SyntaxMerger.Merge(earlier, value) : value;
}
