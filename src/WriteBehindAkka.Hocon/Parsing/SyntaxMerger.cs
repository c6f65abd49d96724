namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>Applies HOCON's duplicate-key rule while parsing: objects merge, anything else replaces.</summary>
internal static class SyntaxMerger
{
    /// <summary>Combines the earlier value of a key with a later one.</summary>
    /// <returns>
    /// A merged object when both are objects; <paramref name="later"/> when it is a concrete value
    /// (it hides whatever came before); otherwise a <see cref="SyntaxMergeStack"/> decided after resolution.
    /// </returns>
    public static SyntaxValue Merge(SyntaxValue earlier, SyntaxValue later)
    {
        switch (later)
        {
            case SyntaxScalar or SyntaxArray:
                return later;
            case SyntaxObject laterObject when earlier is SyntaxObject earlierObject:
                // Both objects are owned by this parse, so merging in place is safe.
                foreach (var (key, value) in laterObject.Fields)
                {
                    earlierObject.Set(key, value);
                }

                return earlierObject;
            case SyntaxObject when earlier is SyntaxScalar or SyntaxArray:
                return later;
        }

        // The later value is a substitution or concatenation, or the earlier one is: whether they merge
        // or replace depends on what the substitutions resolve to.
        var entries = earlier is SyntaxMergeStack stack ? stack.Entries : [earlier];
        entries.Add(later);
        return earlier as SyntaxMergeStack ?? new SyntaxMergeStack(earlier.Position, entries);
    }
}
