namespace WriteBehindAkka.Hocon.Resolution;

/// <summary>Merges resolved objects with HOCON's duplicate-key rule.</summary>
internal static class ResolvedMerger
{
    /// <summary>
    /// Returns <paramref name="later"/> layered over <paramref name="earlier"/>: when both are objects their
    /// fields merge recursively (later wins per key), otherwise the later value replaces the earlier one.
    /// </summary>
    public static HoconValue Merge(HoconValue? earlier, HoconValue later)
    {
        if (earlier is not HoconObject earlierObject || later is not HoconObject laterObject)
        {
            return later;
        }

        var fields = new OrderedDictionary<string, HoconValue>(earlierObject.Fields, StringComparer.Ordinal);
        foreach (var (key, value) in laterObject.Fields)
        {
            fields[key] = fields.TryGetValue(key, out var existing) ? Merge(existing, value) : value;
        }

        return new HoconObject(fields, earlierObject.Position);
    }
}
