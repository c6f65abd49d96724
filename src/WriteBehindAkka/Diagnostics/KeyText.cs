namespace WriteBehindAkka.Diagnostics;

/// <summary>A key as text for messages and logs, from the cache's loops: a key type whose ToString throws must not end the loop that reports on it.</summary>
internal static class KeyText
{
    public static string Of<TKey>(TKey key)
    {
        try
        {
            return key?.ToString() ?? string.Empty;
        }
        catch (Exception)
        {
            return $"<a {typeof(TKey).Name} whose ToString threw>";
        }
    }
}
