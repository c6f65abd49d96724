namespace WriteBehindAkka.Hocon;

/// <summary>An ordered list of values.</summary>
public sealed class HoconArray : HoconValue
{
    internal HoconArray(IReadOnlyList<HoconValue> items, HoconPosition position)
        : base(position) => Items = items;

    /// <summary>The elements in the order they were written (after concatenation and substitution).</summary>
    public IReadOnlyList<HoconValue> Items { get; }
}
