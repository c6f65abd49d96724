namespace WriteBehindAkka.Hocon.Tests;

/// <summary>Assertions on the configuration keys a HOCON text produces.</summary>
internal static class HoconAssert
{
    /// <summary>Parses and flattens <paramref name="hocon"/>.</summary>
    public static Dictionary<string, string?> Flatten(string hocon, string? fileName = null, Func<string, string?>? includes = null) =>
        HoconConfigurationFlattener.Flatten(HoconParser.Parse(hocon, fileName, includes ?? (_ => null)));

    /// <summary>Asserts that <paramref name="hocon"/> flattens to exactly <paramref name="expected"/> (order ignored).</summary>
    public static void Flattens(string hocon, params (string Key, string? Value)[] expected) =>
        Equal(expected, Flatten(hocon));

    /// <summary>Asserts that <paramref name="actual"/> holds exactly <paramref name="expected"/> (order ignored).</summary>
    public static void Equal((string Key, string? Value)[] expected, IDictionary<string, string?> actual) =>
        Assert.Equal(
            expected.Select(e => $"{e.Key}={e.Value ?? "<null>"}").Order(StringComparer.Ordinal),
            actual.Select(a => $"{a.Key}={a.Value ?? "<null>"}").Order(StringComparer.Ordinal));

    /// <summary>Asserts that parsing fails at <paramref name="line"/>,<paramref name="column"/> and returns the exception.</summary>
    public static HoconParseException FailsAt(string hocon, int line, int column, Func<string, string?>? includes = null)
    {
        var ex = Assert.Throws<HoconParseException>(() => Flatten(hocon, includes: includes));
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.StartsWith($"<string>({line},{column}): ", ex.Message, StringComparison.Ordinal);
        return ex;
    }
}
