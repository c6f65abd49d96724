using System.Diagnostics.CodeAnalysis;
using WriteBehindAkka.Hocon.Units;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// Reads HOCON sizes in bytes such as <c>64MiB</c>, <c>10 MB</c>, <c>512k</c>, <c>1 GiB</c> or
/// <c>100 bytes</c>. Units follow the HOCON specification: <c>B</c>/<c>b</c>/<c>byte</c>/<c>bytes</c>;
/// powers of ten <c>kB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>, <c>PB</c>, <c>EB</c>, <c>ZB</c>, <c>YB</c>
/// (and <c>kilobyte(s)</c> ... <c>yottabyte(s)</c>); powers of two <c>K</c>/<c>k</c>/<c>Ki</c>/<c>KiB</c>
/// ... <c>Y</c>/<c>y</c>/<c>Yi</c>/<c>YiB</c> (and <c>kibibyte(s)</c> ... <c>yobibyte(s)</c>). Only the
/// one-letter units may be either case; note that <c>KB</c> is not a unit (write <c>kB</c> or <c>KiB</c>).
/// A bare number is bytes. Fractions of a byte are truncated; negative sizes are rejected.
/// </summary>
public static class HoconSize
{
    private static readonly Dictionary<string, decimal> BytesPerUnit = CreateUnits();

    /// <summary>Tries to read a size in bytes; a bare number is taken as bytes.</summary>
    /// <param name="text">The text, for example <c>64MiB</c>.</param>
    /// <param name="bytes">The number of bytes when the method returns <see langword="true"/>.</param>
    /// <returns>Whether <paramref name="text"/> is a size between 0 and <see cref="long.MaxValue"/> bytes.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out long bytes) =>
        TryParse(text, requireUnit: false, out bytes);

    /// <summary>Reads a size in bytes; a bare number is taken as bytes.</summary>
    /// <param name="text">The text, for example <c>10 MB</c>.</param>
    /// <returns>The number of bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a size or is out of range.</exception>
    public static long Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var bytes)
            ? bytes
            : throw new FormatException(
                $"'{text}' is not a HOCON size. Write a non-negative number and an optional unit (B, kB, MB, GB, ... " +
                "for powers of ten; K, M, G or KiB, MiB, GiB, ... for powers of two; or bytes, kilobytes, mebibytes, ...), " +
                "for example '64MiB', '10 MB' or '512k'; a bare number means bytes. The result must fit in a long.");
    }

    /// <summary>Like <see cref="TryParse(string?, out long)"/>, optionally rejecting bare numbers.</summary>
    internal static bool TryParse([NotNullWhen(true)] string? text, bool requireUnit, out long bytes)
    {
        bytes = 0;
        if (text is null || !UnitValue.TrySplit(text, out var number, out var unit))
        {
            return false;
        }

        if (unit.Length == 0)
        {
            if (requireUnit)
            {
                return false;
            }

            unit = "B";
        }

        if (number < 0 || !BytesPerUnit.TryGetValue(unit, out var bytesPerUnit))
        {
            return false;
        }

        try
        {
            var total = decimal.Truncate(number * bytesPerUnit);
            if (total > long.MaxValue)
            {
                return false;
            }

            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static Dictionary<string, decimal> CreateUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["B"] = 1,
            ["b"] = 1,
            ["byte"] = 1,
            ["bytes"] = 1,
        };

        (string Letter, string Decimal, string Binary)[] prefixes =
        [
            ("k", "kilo", "kibi"), ("M", "mega", "mebi"), ("G", "giga", "gibi"), ("T", "tera", "tebi"),
            ("P", "peta", "pebi"), ("E", "exa", "exbi"), ("Z", "zetta", "zebi"), ("Y", "yotta", "yobi"),
        ];

        decimal powerOfTen = 1;
        decimal powerOfTwo = 1;
        foreach (var (letter, decimalName, binaryName) in prefixes)
        {
            powerOfTen *= 1000;
            powerOfTwo *= 1024;
            var upper = letter.ToUpperInvariant();
            var lower = letter.ToLowerInvariant();

            units[letter + "B"] = powerOfTen; // kB, MB, GB, ...
            units[decimalName + "byte"] = powerOfTen;
            units[decimalName + "bytes"] = powerOfTen;

            units[upper] = powerOfTwo;
            units[lower] = powerOfTwo;
            units[upper + "i"] = powerOfTwo;
            units[upper + "iB"] = powerOfTwo;
            units[binaryName + "byte"] = powerOfTwo;
            units[binaryName + "bytes"] = powerOfTwo;
        }

        return units;
    }
}
