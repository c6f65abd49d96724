using System.Globalization;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// Turns a resolved HOCON tree into <c>Microsoft.Extensions.Configuration</c> key/value pairs.
/// </summary>
/// <remarks>
/// <para>Nested objects become <c>a:b:c</c>; array elements become <c>a:0</c>, <c>a:1</c>, ...; an empty
/// object or array becomes its key with a <see langword="null"/> value (as <c>AddJsonFile</c> does).</para>
/// <para>Values are converted so that <c>ConfigurationBinder</c> can read them:</para>
/// <list type="bullet">
/// <item><description>A string that is wholly a duration with a unit (<c>200ms</c>, <c>5 s</c>, <c>1 minute</c>) becomes
/// <see cref="TimeSpan"/>'s invariant <c>"c"</c> format (<c>00:00:00.2000000</c>); see <see cref="HoconDuration"/>.</description></item>
/// <item><description>Otherwise a string that is wholly a size with a unit (<c>64MiB</c>, <c>10 MB</c>) becomes its byte
/// count (<c>67108864</c>); see <see cref="HoconSize"/>. The unit <c>m</c> means minutes, not mebibytes,
/// because both readings exist: write <c>M</c> or <c>MiB</c> for sizes.</description></item>
/// <item><description>Bare numbers stay exactly as written (<c>10</c>, <c>1.5</c>, <c>1e3</c>); a bare number is never
/// converted, even for a <see cref="TimeSpan"/> property.</description></item>
/// <item><description><c>true</c>/<c>false</c> become <c>True</c>/<c>False</c>, and so do the unquoted words
/// <c>yes</c>/<c>on</c> and <c>no</c>/<c>off</c>; quoted <c>"yes"</c> stays a string.</description></item>
/// <item><description><c>null</c> becomes a <see langword="null"/> value.</description></item>
/// </list>
/// <para>HOCON keys are case-sensitive but configuration keys are not: two keys that differ only in case
/// produce the same configuration key, which is reported as an error rather than silently dropping one.</para>
/// </remarks>
public static class HoconConfigurationFlattener
{
    private const string ConfigurationKeyDelimiter = ":";

    /// <summary>Flattens <paramref name="root"/> into configuration keys and values.</summary>
    /// <param name="root">A resolved document from <see cref="HoconParser.Parse"/>.</param>
    /// <returns>A dictionary with case-insensitive keys.</returns>
    /// <exception cref="HoconParseException">Two values map to the same case-insensitive key.</exception>
    public static Dictionary<string, string?> Flatten(HoconObject root) => FlattenWithPositions(root, positions: null);

    /// <summary>
    /// Flattens <paramref name="root"/> as <see cref="Flatten(HoconObject)"/> does and records, in
    /// <paramref name="positions"/>, where each key's value was written, and where each section (an object or
    /// array with keys below it) was written.
    /// </summary>
    /// <param name="root">A resolved document.</param>
    /// <param name="positions">Filled with the positions (case-insensitive keys), or <see langword="null"/>.</param>
    /// <returns>A dictionary with case-insensitive keys.</returns>
    internal static Dictionary<string, string?> FlattenWithPositions(HoconObject root, Dictionary<string, HoconPosition>? positions)
    {
        ArgumentNullException.ThrowIfNull(root);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in root.Fields)
        {
            Add(data, positions, key, value);
        }

        return data;
    }

    /// <summary>Converts one scalar the way <see cref="Flatten"/> does.</summary>
    /// <param name="scalar">The value.</param>
    /// <returns>The configuration value.</returns>
    public static string? ToConfigurationValue(HoconScalar scalar)
    {
        ArgumentNullException.ThrowIfNull(scalar);
        return scalar.Kind switch
        {
            HoconScalarKind.Null => null,
            HoconScalarKind.Boolean => scalar.Value == "true" ? bool.TrueString : bool.FalseString,
            HoconScalarKind.Number => scalar.Value,
            _ => ConvertString(scalar.Value!, scalar.IsQuoted),
        };
    }

    private static string ConvertString(string text, bool isQuoted)
    {
        if (!isQuoted)
        {
            switch (text)
            {
                case "yes" or "on":
                    return bool.TrueString;
                case "no" or "off":
                    return bool.FalseString;
            }
        }

        if (HoconDuration.TryParse(text, requireUnit: true, out var duration))
        {
            return duration.ToString("c", CultureInfo.InvariantCulture);
        }

        if (HoconSize.TryParse(text, requireUnit: true, out var bytes))
        {
            return bytes.ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }

    private static void Add(Dictionary<string, string?> data, Dictionary<string, HoconPosition>? positions, string key, HoconValue value)
    {
        switch (value)
        {
            case HoconObject { Fields.Count: > 0 } obj:
                positions?.TryAdd(key, value.Position); // A section; a value at the same key (A { x = 1 }, a = 2) wins.
                foreach (var (childKey, child) in obj.Fields)
                {
                    Add(data, positions, key + ConfigurationKeyDelimiter + childKey, child);
                }

                break;
            case HoconArray { Items.Count: > 0 } array:
                positions?.TryAdd(key, value.Position);
                for (var i = 0; i < array.Items.Count; i++)
                {
                    Add(data, positions, key + ConfigurationKeyDelimiter + i.ToString(CultureInfo.InvariantCulture), array.Items[i]);
                }

                break;
            case HoconScalar scalar:
                Set(data, positions, key, ToConfigurationValue(scalar), value.Position);
                break;
            default:
                Set(data, positions, key, null, value.Position); // An empty object or array.
                break;
        }
    }

    private static void Set(Dictionary<string, string?> data, Dictionary<string, HoconPosition>? positions, string key, string? value, HoconPosition position)
    {
        if (!data.TryAdd(key, value))
        {
            var existing = data.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            throw new HoconParseException(
                position,
                $"configuration key '{key}' collides with '{existing}': configuration keys are case-insensitive " +
                "(and ':' separates sections), so both would be the same setting. Rename one of them.");
        }

        if (positions is not null)
        {
            positions[key] = position;
        }
    }
}
