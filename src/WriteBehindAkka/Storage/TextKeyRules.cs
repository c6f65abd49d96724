namespace WriteBehindAkka.Storage;

/// <summary>
/// What a text key must be for PostgreSQL's <c>text</c> to hold it: no NUL character, and valid UTF-16 (it is sent as
/// UTF-8). Shared by the PostgreSQL store and the TestKit's in-memory store, so that tests over the latter refuse the
/// keys the former would.
/// </summary>
internal static class TextKeyRules
{
    /// <summary>Says why PostgreSQL text cannot hold <paramref name="text"/>, or returns <see langword="null"/> when it can.</summary>
    public static string? Problem(ReadOnlySpan<char> text)
    {
        if (text.Contains('\0'))
        {
            return $"The key contains a NUL character (at index {text.IndexOf('\0')}), which PostgreSQL text cannot hold";
        }

        if (text.ContainsAnyInRange('\uD800', '\uDFFF') && HasLoneSurrogate(text))
        {
            return "The key contains half of a UTF-16 surrogate pair, which has no UTF-8 form";
        }

        return null;
    }

    /// <summary>
    /// <paramref name="text"/> with what PostgreSQL text cannot hold (NUL characters, lone surrogates) replaced by
    /// U+FFFD (the text itself when it holds none): for messages stored alongside data, not for keys, which are
    /// refused instead.
    /// </summary>
    public static string Storable(string text)
    {
        char[]? chars = null;
        for (var i = 0; i < text.Length; i++)
        {
            int at = i;
            if (text[i] == '\0' || AtLoneSurrogate(text, ref i))
            {
                (chars ??= text.ToCharArray())[at] = '\uFFFD';
            }
        }

        return chars is null ? text : new string(chars);
    }

    /// <summary>Whether a surrogate in <paramref name="chars"/> is not part of a high-low pair.</summary>
    private static bool HasLoneSurrogate(ReadOnlySpan<char> chars)
    {
        for (var i = 0; i < chars.Length; i++)
        {
            if (AtLoneSurrogate(chars, ref i))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the character at <paramref name="i"/> is a lone surrogate; steps <paramref name="i"/> over the second half of a pair.</summary>
    private static bool AtLoneSurrogate(ReadOnlySpan<char> chars, ref int i)
    {
        if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
        {
            i++;
            return false;
        }

        return char.IsSurrogate(chars[i]);
    }
}
