using System.Globalization;

namespace WriteBehindAkka.Hocon.Units;

/// <summary>
/// The HOCON "units format": optional whitespace, a number, optional whitespace, an optional unit made
/// of letters, optional whitespace (for example <c>200ms</c>, <c> 5 s </c>, <c>1.5 GiB</c>).
/// </summary>
internal static class UnitValue
{
    /// <summary>Splits <paramref name="text"/> into its number and unit (empty when there is none).</summary>
    /// <returns><see langword="false"/> when the text is not in the units format or the number is out of range.</returns>
    public static bool TrySplit(string text, out decimal number, out string unit)
    {
        number = 0;
        unit = string.Empty;
        var span = text.AsSpan().Trim();
        var numberEnd = 0;
        while (numberEnd < span.Length && !char.IsLetter(span[numberEnd]) && !char.IsWhiteSpace(span[numberEnd]))
        {
            numberEnd++;
        }

        // "1e3" is a number; "1e" is the number 1 and the unit "e" (exbibytes).
        while (numberEnd < span.Length && span[numberEnd] is 'e' or 'E' && LooksLikeExponent(span[(numberEnd + 1)..]))
        {
            numberEnd++;
            while (numberEnd < span.Length && (char.IsAsciiDigit(span[numberEnd]) || span[numberEnd] is '+' or '-'))
            {
                numberEnd++;
            }
        }

        var numberText = span[..numberEnd];
        var unitText = span[numberEnd..].TrimStart();
        if (!Parsing.CharClass.IsJsonNumber(numberText) || !IsLetters(unitText))
        {
            return false;
        }

        if (!decimal.TryParse(numberText, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        unit = unitText.ToString();
        return true;
    }

    private static bool LooksLikeExponent(ReadOnlySpan<char> rest)
    {
        var i = rest.Length > 0 && rest[0] is '+' or '-' ? 1 : 0;
        return i < rest.Length && char.IsAsciiDigit(rest[i]);
    }

    private static bool IsLetters(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsLetter(c))
            {
                return false;
            }
        }

        return true;
    }
}
