namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>Character classes from the HOCON specification.</summary>
internal static class CharClass
{
    // The spec forbids these in unquoted strings so they can never be confused with syntax.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    /// <summary>Whether <paramref name="c"/> may appear in an unquoted string or key.</summary>
    public static bool IsUnquoted(char c) =>
        !char.IsWhiteSpace(c) && !char.IsControl(c) && c != '\uFEFF' && !Forbidden.Contains(c, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="text"/> is a number in JSON syntax (<c>-12</c>, <c>1.5</c>, <c>1e-3</c>).</summary>
    public static bool IsJsonNumber(ReadOnlySpan<char> text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (!ReadDigits(text, ref i))
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (!ReadDigits(text, ref i))
            {
                return false;
            }
        }

        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            i++;
            if (i < text.Length && (text[i] == '+' || text[i] == '-'))
            {
                i++;
            }

            if (!ReadDigits(text, ref i))
            {
                return false;
            }
        }

        return i == text.Length;
    }

    private static bool ReadDigits(ReadOnlySpan<char> text, ref int i)
    {
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i > start;
    }
}
