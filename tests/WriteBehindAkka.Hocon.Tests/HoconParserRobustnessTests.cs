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

    [Theory]
    [InlineData(25)]
    [InlineData(40)]
    public void Parse_SubstitutionChainDoublingAString_FailsAtTheLimitNamingFileLineAndPath(int steps)
    {
        // a0 = x, a1 = ${a0}${a0}, ...: 40 steps would make a string of 2^40 characters; the process ran out of memory.
        var text = "a0 = x\n" + string.Concat(Enumerable.Range(1, steps).Select(i => $"a{i} = ${{a{i - 1}}}${{a{i - 1}}}\n"));

        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(text, "app.conf"));

        Assert.Equal(("app.conf", 25), (ex.FileName, ex.Line)); // a24, the first over 10,000,000 characters
        Assert.StartsWith(
            "the value of 'a24' would hold 16,777,216 characters once its substitutions are resolved, more than the limit of 10,000,000",
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SubstitutionChainDoublingAnArray_FailsAtTheLimitNamingFileLineAndPath()
    {
        var text = "a0 = [1]\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i} = ${{a{i - 1}}} ${{a{i - 1}}}\n"));

        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(text, "app.conf"));

        Assert.Equal(("app.conf", 21), (ex.FileName, ex.Line));
        Assert.StartsWith(
            "the value of 'a20' would hold 1,048,577 values once its substitutions are resolved, more than the limit of 1,000,000",
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SubstitutionChainDoublingAnObject_FailsAtTheLimitInsteadOfFlatteningForEver()
    {
        // Each object refers twice to the one before: resolving shares them, but flattening them gave 2^40 keys.
        var text = "a0 = 1\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"a{i} = {{ x = ${{a{i - 1}}}, y = ${{a{i - 1}}} }}\n"));

        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(text, "app.conf"));

        Assert.Equal(("app.conf", 20), (ex.FileName, ex.Line));
        Assert.StartsWith(
            "the value of 'a19' would hold 1,048,575 values once its substitutions are resolved, more than the limit of 1,000,000",
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SubstitutionChainsWithinTheLimits_Resolve()
    {
        // The limits hold for the whole document too: here 8,388,607 characters and 524,306 values in all.
        var text = "s0 = x\n" + string.Concat(Enumerable.Range(1, 22).Select(i => $"s{i} = ${{s{i - 1}}}${{s{i - 1}}}\n"))
            + "a0 = [1]\n" + string.Concat(Enumerable.Range(1, 18).Select(i => $"a{i} = ${{a{i - 1}}} ${{a{i - 1}}}\n"));

        var root = HoconParser.Parse(text, "app.conf");

        Assert.Equal(1 << 22, ((HoconScalar)root.Fields["s22"]).Value!.Length);
        Assert.Equal(1 << 18, ((HoconArray)root.Fields["a18"]).Items.Count);
    }

    [Theory]
    [InlineData("{{ x = ${{a{0}}} }}")]
    [InlineData("[${{a{0}}}]")]
    public void Parse_TenThousandNestedValuesBuiltBySubstitutions_FailsInsteadOfOverflowingTheStack(string format)
    {
        // Each line nests the one before it: a value 10,000 levels deep, which the parser's nesting limit does not see;
        // flattening it took minutes, and deeper ones overflowed the stack, which ends the process.
        var text = "a10000 = 1\n" + string.Concat(Enumerable.Range(0, 10_000).Reverse().Select(i => $"a{i} = " + string.Format(System.Globalization.CultureInfo.InvariantCulture, format, i + 1) + "\n"));

        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(text, "app.conf"));

        Assert.Equal(("app.conf", 1001), (ex.FileName, ex.Line)); // a9000, whose deepest key would be a9000:x:x:...:x or a9000:0:0:...:0
        Assert.StartsWith("the value of 'a9000", ex.Reason, StringComparison.Ordinal);
        Assert.Contains(
            "would be nested 1,001 levels deep (a configuration key of 1,001 parts) once substitutions and includes are resolved, more than the limit of 1,000",
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValueNestedToTheLimitBySubstitutions_Resolves()
    {
        var text = "a1000 = 1\n" + string.Concat(Enumerable.Range(1, 999).Reverse().Select(i => $"a{i} = {{ x = ${{a{i + 1}}} }}\n"));

        var data = HoconAssert.Flatten(text);

        Assert.Equal("1", data["a1" + string.Concat(Enumerable.Repeat(":x", 999))]);
    }
}
