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
    public void Parse_NestingWithinLimit_Succeeds() =>
        HoconAssert.Flattens("a = " + new string('[', 150) + "1" + new string(']', 150), ("a" + string.Concat(Enumerable.Repeat(":0", 150)), "1"));
}
