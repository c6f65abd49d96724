namespace WriteBehindAkka.Hocon;

/// <summary>An ordered list of values.</summary>
public sealed class HoconArray : HoconValue
{
    internal HoconArray(IReadOnlyList<HoconValue> items, HoconPosition position)
        : base(position, 1 + items.Sum(v => v.Values), items.Sum(v => v.Characters), 1 + items.Select(v => v.Depth).DefaultIfEmpty(0).Max()) =>
        Items = items;

    /// <summary>The elements in the order they were written (after concatenation and substitution).</summary>
    public IReadOnlyList<HoconValue> Items { get; }
}
