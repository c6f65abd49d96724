using System.Globalization;

namespace WriteBehindAkka.PostgreSql;

/// <summary>Keys as the text the dead-letter table stores, and back.</summary>
/// <typeparam name="TKey">string, long, int or Guid.</typeparam>
internal static class DeadLetterKeys<TKey>
    where TKey : notnull
{
    /// <summary>Returns the key's text: a string as it is, a number in invariant digits, a Guid in its 36-character form.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The text.</returns>
    public static string ToText(TKey key) => key switch
    {
        string text => text,
        long number => number.ToString(CultureInfo.InvariantCulture),
        int number => number.ToString(CultureInfo.InvariantCulture),
        Guid id => id.ToString("D"),
        _ => throw new NotSupportedException($"Dead letters of key type {typeof(TKey).Name} are not supported: use {KeyTypes.SupportedList}."),
    };

    /// <summary>Parses text written by <see cref="ToText"/>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The key.</returns>
    public static TKey Parse(string text)
    {
        object key = typeof(TKey) == typeof(string) ? text
            : typeof(TKey) == typeof(long) ? long.Parse(text, CultureInfo.InvariantCulture)
            : typeof(TKey) == typeof(int) ? int.Parse(text, CultureInfo.InvariantCulture)
            : typeof(TKey) == typeof(Guid) ? Guid.Parse(text)
            : throw new NotSupportedException($"Dead letters of key type {typeof(TKey).Name} are not supported: use {KeyTypes.SupportedList}.");
        return (TKey)key;
    }
}
