namespace WriteBehindAkka.Diagnostics;

/// <summary>
/// A key as text for messages and logs, from the cache's loops: a key type whose ToString throws must not end the loop
/// that reports on it, and a very long key is shortened, so that one key cannot flood an exception message or a log.
/// </summary>
internal static class KeyText
{
    /// <summary>The longest key text kept whole; a longer one keeps its first <see cref="Kept"/> characters and its length.</summary>
    public const int MaxLength = 256;

    private const int Kept = 200;

    public static string Of<TKey>(TKey key)
    {
        string text;
        try
        {
            text = key?.ToString() ?? string.Empty;
        }
        catch (Exception)
        {
            return $"<a {typeof(TKey).Name} whose ToString threw>";
        }

        if (text.Length <= MaxLength)
        {
            return text;
        }

        int kept = char.IsHighSurrogate(text[Kept - 1]) ? Kept - 1 : Kept; // never half of a surrogate pair
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{text.AsSpan(0, kept)}...({text.Length:N0} characters)");
    }
}
