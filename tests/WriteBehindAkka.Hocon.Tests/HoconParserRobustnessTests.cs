namespace WriteBehindAkka.Hocon.Tests;

public class HoconParserRobustnessTests
{
    private static readonly string[] Fragments =
    [
        "a", "b.c", "\"q\"", "\"\"\"", " ", "\n", "\t", "=", ":", "+=", "{", "}", "[", "]", ",", "${a}", "${?b}",
        "${", "$", "#", "//", "1", "-2.5e3", "true", "null", "include", "include \"x.conf\"", "required(", ")",
        "\\", "\"\\u12\"", "5s", "64MiB", ".", "..", "\r\n", "\uFEFF", "é", "?",
    ];

    [Fact]
    public void Parse_RandomFragments_EitherSucceedsOrThrowsHoconParseException()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 5000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => Fragments[random.Next(Fragments.Length)]));
            try
            {
                HoconConfigurationFlattener.Flatten(HoconParser.Parse(text, "fuzz.conf", path => path == "x.conf" ? "a = 1" : null));
            }
            catch (HoconParseException ex)
            {
                Assert.True(ex.Line >= 1 && ex.Column >= 1, $"bad position in '{ex.Message}' for input {text}");
            }
            catch (Exception ex)
            {
                Assert.Fail($"input {System.Text.Json.JsonSerializer.Serialize(text)} threw {ex}");
            }
        }
    }

    [Fact]
    public void Parse_VeryDeepNesting_FailsInsteadOfOverflowingTheStack()
    {
        var ex = HoconAssert.FailsAt("a = " + new string('[', 100_000), 1, 205);

        Assert.Equal("<string>(1,205): objects and arrays are nested more than 200 levels deep; flatten the structure", ex.Message);
    }

    [Fact]
    public void Parse_VeryLongDottedKey_FailsInsteadOfOverflowingTheStack()
    {
        // A dotted key nests objects as braces do, but was not counted: a.a.a... with 50,000 elements crashed the
        // process with a StackOverflowException (which cannot be caught) while resolving.
        var ex = HoconAssert.FailsAt("a" + string.Concat(Enumerable.Repeat(".a", 50_000)) + " = 1", 1, 1);

        Assert.Equal("<string>(1,1): the key's path is nested more than 200 levels deep; flatten the structure", ex.Message);
    }

    [Fact]
    public void Parse_VeryLongChainOfSubstitutions_FailsInsteadOfOverflowingTheStack()
    {
        // x0 = ${x1}, x1 = ${x2}, ... resolves each link inside the one before: 100,000 links crashed the process.
        var text = string.Concat(Enumerable.Range(0, 100_000).Select(i => $"x{i} = ${{x{i + 1}}}\n")) + "x100000 = 1";

        var ex = Assert.Throws<HoconParseException>(() => HoconAssert.Flatten(text));

        Assert.Contains("substitutions are chained too deeply to resolve", ex.Message, StringComparison.Ordinal);
        Assert.Contains("starting with ${x1} at <string>(1,6)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongChainOfSubstitutions_Resolves() =>
        Assert.Equal(
            "1",
            HoconAssert.Flatten(string.Concat(Enumerable.Range(0, 1_000).Select(i => $"x{i} = ${{x{i + 1}}}\n")) + "x1000 = 1")["x0"]);

    [Fact]
    public void Parse_NestingWithinLimit_Succeeds() =>
        HoconAssert.Flattens("a = " + new string('[', 150) + "1" + new string(']', 150), ("a" + string.Concat(Enumerable.Repeat(":0", 150)), "1"));
}
