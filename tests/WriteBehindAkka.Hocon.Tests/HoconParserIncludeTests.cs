namespace WriteBehindAkka.Hocon.Tests;

public class HoconParserIncludeTests
{
    private static Func<string, string?> Files(params (string Path, string Text)[] files)
    {
        var map = files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        return path => map.GetValueOrDefault(path);
    }

    [Fact]
    public void Parse_IncludeRelativePaths_ResolveAgainstIncludingFile()
    {
        var requested = new List<string>();
        var files = Files(
            ("conf/sub/db.conf", "db.host = dbserver\ninclude \"../common.conf\""),
            ("conf/common.conf", "common = yes"));

        var data = HoconAssert.Flatten(
            "include \"sub/db.conf\"\napp = 1",
            "conf/app.conf",
            path =>
            {
                requested.Add(path);
                return files(path);
            });

        HoconAssert.Equal([("db:host", "dbserver"), ("common", "True"), ("app", "1")], data);
        Assert.Equal(["conf/sub/db.conf", "conf/common.conf"], requested);
    }

    [Fact]
    public void Parse_IncludeMergesInWrittenOrder_LaterFieldsWin()
    {
        var data = HoconAssert.Flatten(
            """
            a = before
            b { x = 1 }
            include "defaults.conf"
            c = after
            """,
            includes: Files(("defaults.conf", "a = included\nb { y = 2 }\nc = included")));

        HoconAssert.Equal([("a", "included"), ("b:x", "1"), ("b:y", "2"), ("c", "after")], data);
    }

    [Fact]
    public void Parse_IncludeInsideObject_PrefixesKeysAndSubstitutions()
    {
        var data = HoconAssert.Flatten(
            """
            a { include "foo.conf" }
            a { x = 42 }
            """,
            includes: Files(("foo.conf", "x = 10\ny = ${x}")));

        HoconAssert.Equal([("a:x", "42"), ("a:y", "42")], data);
    }

    [Fact]
    public void Parse_IncludeInsideObject_SubstitutionNotFoundUnderTheIncludePath_IsLookedUpFromTheRoot()
    {
        // The pattern the reference configuration recommends, moved into a file included under WriteBehind.Caches.
        var data = HoconAssert.Flatten(
            """
            WriteBehind.Caches.default { MaxBatchSize = 10, ReadThrough = on }
            WriteBehind.Caches { include "caches.conf" }
            """,
            includes: Files(("caches.conf", "scores = ${WriteBehind.Caches.default} { MaxBatchSize = 20 }\nlocal = 1\nmine = ${local}")));

        HoconAssert.Equal(
            [
                ("WriteBehind:Caches:default:MaxBatchSize", "10"), ("WriteBehind:Caches:default:ReadThrough", "True"),
                ("WriteBehind:Caches:scores:MaxBatchSize", "20"), ("WriteBehind:Caches:scores:ReadThrough", "True"),
                ("WriteBehind:Caches:local", "1"), ("WriteBehind:Caches:mine", "1"),
            ],
            data);
    }

    [Fact]
    public void Parse_MissingPlainInclude_IsIgnored() =>
        HoconAssert.Equal([("a", "1")], HoconAssert.Flatten("include \"missing.conf\"\na = 1"));

    [Fact]
    public void Parse_MissingRequiredInclude_FailsNamingTheInclude()
    {
        var ex = HoconAssert.FailsAt("a = 1\ninclude required(\"missing.conf\")", 2, 1);

        Assert.Equal(
            "<string>(2,1): required include 'missing.conf' was not found (looked for 'missing.conf'); create the file, " +
            "fix the path (it is relative to the including file), or drop required(...) to make the include optional.",
            ex.Message);
    }

    [Fact]
    public void Parse_RequiredAndFileForms_IncludeTheFile() =>
        HoconAssert.Equal(
            [("a", "1"), ("b", "2")],
            HoconAssert.Flatten(
                "include required(file(\"a.conf\"))\ninclude file( \"b.conf\" )",
                includes: Files(("a.conf", "a = 1"), ("b.conf", "b = 2"))));

    [Fact]
    public void Parse_IncludeWithoutExtension_TriesJsonThenConf() =>
        HoconAssert.Equal(
            [("a", "conf"), ("b", "json")],
            HoconAssert.Flatten(
                "include \"settings\"",
                includes: Files(("settings.json", "{ \"a\": \"json\", \"b\": \"json\" }"), ("settings.conf", "a = conf"))));

    [Fact]
    public void Parse_IncludeCycle_Fails()
    {
        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(
            "include \"b.conf\"",
            "a.conf",
            Files(("a.conf", "include \"b.conf\""), ("b.conf", "x = 1\ninclude \"a.conf\""))));

        Assert.Equal("b.conf(2,1): include cycle: 'a.conf' -> 'b.conf' -> 'a.conf'; remove one of these include statements.", ex.Message);
    }

    [Fact]
    public void Parse_ErrorInIncludedFile_NamesThatFile()
    {
        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse(
            "include \"bad.conf\"",
            "conf/app.conf",
            Files(("conf/bad.conf", "ok = 1\nbroken {"))));

        Assert.Equal("conf/bad.conf(2,9): expected '}' to close the object opened at conf/bad.conf(2,8), found end of input", ex.Message);
    }

    [Fact]
    public void Parse_UrlInclude_IsRejectedAsUnsupported()
    {
        var ex = HoconAssert.FailsAt("include url(\"http://example.org/a.conf\")", 1, 9);

        Assert.Contains("include url(...) is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PropertiesInclude_IsRejectedAsUnsupported()
    {
        // Read as HOCON, a Java properties file is silently misread: greeting would be "hello", not "hello # world".
        var ex = HoconAssert.FailsAt(
            "a = 1\ninclude \"akka.properties\"",
            2,
            9,
            Files(("akka.properties", "greeting = hello # world")));

        Assert.Contains("include of a .properties file is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("include \"https://config.example.org/app.conf\"")]
    [InlineData("include required(\"file:///etc/app/app.conf\")")]
    public void Parse_IncludeOfAUrl_IsRejectedAsUnsupported(string hocon)
    {
        // It was looked up as a relative file name, not found, and (without required) silently ignored.
        var ex = Assert.Throws<HoconParseException>(() => HoconAssert.Flatten(hocon));

        Assert.Contains("is a URL; including URLs is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WithoutResolver_ReadsIncludesFromDiskRelativeToFile()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-include-");
        try
        {
            Directory.CreateDirectory(Path.Combine(directory.FullName, "more"));
            File.WriteAllText(Path.Combine(directory.FullName, "more", "extra.conf"), "extra = 5");
            var main = Path.Combine(directory.FullName, "main.conf");

            var root = HoconParser.Parse("include \"more/extra.conf\"", main);

            Assert.Equal("5", ((HoconScalar)root.Fields["extra"]).Value);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
