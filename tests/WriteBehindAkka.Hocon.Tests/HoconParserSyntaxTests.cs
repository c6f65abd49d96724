namespace WriteBehindAkka.Hocon.Tests;

public class HoconParserSyntaxTests
{
    [Fact]
    public void Parse_HashAndDoubleSlashComments_AreIgnored() =>
        HoconAssert.Flattens(
            """
            # a hash comment
            a = 1 # trailing hash comment
            // a slash comment
            b = 2 // trailing slash comment
            c = "# not a comment" // but this is
            """,
            ("a", "1"), ("b", "2"), ("c", "# not a comment"));

    [Fact]
    public void Parse_EqualsColonAndBraceSeparators_AllAssign() =>
        HoconAssert.Flattens(
            """
            a = 1
            b : 2
            c { d = 3 }
            e:4
            """,
            ("a", "1"), ("b", "2"), ("c:d", "3"), ("e", "4"));

    [Fact]
    public void Parse_CommaFirstStyle_CommaStartingTheNextLineSeparates() =>
        HoconAssert.Flattens(
            """
            {
              "a": 1
              , "b": [1
                     , 2]
              , "c": { "d": 3 }
            }
            """,
            ("a", "1"), ("b:0", "1"), ("b:1", "2"), ("c:d", "3"));

    [Fact]
    public void Parse_BraceOrSeparatorOnTheLineAfterTheKey_AllAssign() =>
        HoconAssert.Flattens(
            """
            WriteBehind
            {
              MaxBatchSize
                = 250
              Restart // the brace on the next line, C# style
              {
                MaxRestarts = 5
              }
              roles = [a]
              roles
                += b
            }
            """,
            ("WriteBehind:MaxBatchSize", "250"), ("WriteBehind:Restart:MaxRestarts", "5"), ("WriteBehind:roles:0", "a"), ("WriteBehind:roles:1", "b"));

    [Fact]
    public void Parse_KeyAloneOnItsLine_StillFailsAtTheNextLineWithoutASeparator()
    {
        var error = HoconAssert.FailsAt("a\nb = 1", 1, 2);
        Assert.Contains("expected '=' or ':' or '{' after key 'a', found end of line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoCommasBetweenElements_StillFail() =>
        HoconAssert.FailsAt("a = 1\n,\n, b = 2", 3, 1);

    [Fact]
    public void Parse_BracedRootWithCommas_IsLikeJson() =>
        HoconAssert.Flattens(
            """{ "a": 1, "b": { "c": [true, false, null] } }""",
            ("a", "1"), ("b:c:0", "True"), ("b:c:1", "False"), ("b:c:2", null));

    [Fact]
    public void Parse_NestedObjectsAndDottedPaths_ProduceTheSameKeys() =>
        HoconAssert.Flattens(
            """
            akka {
              actor {
                provider = cluster
              }
            }
            akka.remote.port = 2552
            akka.cluster { roles = [ seed ] }
            """,
            ("akka:actor:provider", "cluster"), ("akka:remote:port", "2552"), ("akka:cluster:roles:0", "seed"));

    [Fact]
    public void Parse_QuotedKeySegment_KeepsDotInsideKey()
    {
        var root = HoconParser.Parse("""
            "a.b" = 1
            x."y.z".w = 2
            """);

        Assert.Equal("1", ((HoconScalar)root.Fields["a.b"]).Value);
        Assert.Equal("2", ((HoconScalar)root.Find("x.\"y.z\".w")!).Value);
        Assert.Null(root.Find("a.b"));
    }

    [Fact]
    public void Parse_WhitespaceInsideUnquotedKey_IsPartOfKey() =>
        HoconAssert.Flattens("a b c = 42", ("a b c", "42"));

    [Fact]
    public void Parse_SameObjectKeyTwice_MergesObjects() =>
        HoconAssert.Flattens(
            """
            db { host = localhost, port = 5432 }
            db { port = 6543, user = app }
            db.pool.size = 10
            """,
            ("db:host", "localhost"), ("db:port", "6543"), ("db:user", "app"), ("db:pool:size", "10"));

    [Fact]
    public void Parse_SameScalarKeyTwice_LaterWins() =>
        HoconAssert.Flattens("a = 1\na = 2\nb = [1, 2]\nb = [3]", ("a", "2"), ("b:0", "3"));

    [Fact]
    public void Parse_NonObjectBetweenObjects_HidesEarlierObject() =>
        HoconAssert.Flattens(
            """
            a { x = 1 }
            a = null
            a { y = 2 }
            """,
            ("a:y", "2"));

    [Fact]
    public void Parse_ObjectAfterScalar_ReplacesScalar() =>
        HoconAssert.Flattens("a = 1\na { b = 2 }", ("a:b", "2"));

    [Fact]
    public void Parse_UnquotedWordsOnOneLine_ConcatenateWithInnerWhitespace() =>
        HoconAssert.Flattens(
            "x = hello world   \ny = a  b\tc\nz = foo\"bar\"baz",
            ("x", "hello world"), ("y", "a  b\tc"), ("z", "foobarbaz"));

    [Fact]
    public void Parse_QuotedStringWithJsonEscapes_Unescapes() =>
        HoconAssert.Flattens(
            """s = "tab\there \"quoted\" back\\slash \/ line\nend \u00e9" """,
            ("s", "tab\there \"quoted\" back\\slash / line\nend \u00e9"));

    [Fact]
    public void Parse_TripleQuotedString_KeepsNewlinesAndBackslashes() =>
        HoconAssert.Flattens(
            "s = \"\"\"line one\n  C:\\path\\n \"quoted\"\nline three\"\"\"",
            ("s", "line one\n  C:\\path\\n \"quoted\"\nline three"));

    [Fact]
    public void Parse_TripleQuotedStringEndingInQuotes_KeepsExtraQuotes() =>
        HoconAssert.Flattens("s = \"\"\"say \"hi\"\"\"\"", ("s", "say \"hi\""));

    [Fact]
    public void Parse_NumbersAndWordsThatLookLikeNumbers_KeepTextAsWritten()
    {
        var root = HoconParser.Parse("a = 1.50\nb = -3\nc = 1e+5\nd = 0x10\ne = 1.2.3");

        Assert.Equal(
            [("1.50", HoconScalarKind.Number), ("-3", HoconScalarKind.Number), ("1e+5", HoconScalarKind.Number),
             ("0x10", HoconScalarKind.String), ("1.2.3", HoconScalarKind.String)],
            root.Fields.Values.Cast<HoconScalar>().Select(s => (s.Value!, s.Kind)));
    }

    [Fact]
    public void Parse_ArraysWithNewlinesAndTrailingCommas_ListElementsInOrder() =>
        HoconAssert.Flattens(
            """
            a = [
              1
              2,
              "three",   # comment
            ]
            b = []
            c = [ [1, 2], [3] ]
            """,
            ("a:0", "1"), ("a:1", "2"), ("a:2", "three"), ("b", null),
            ("c:0:0", "1"), ("c:0:1", "2"), ("c:1:0", "3"));

    [Fact]
    public void Parse_ArrayOfObjects_FlattensWithIndexes() =>
        HoconAssert.Flattens(
            """
            nodes = [
              { host = a, port = 1 }
              { host = b
                port = 2 }
            ]
            """,
            ("nodes:0:host", "a"), ("nodes:0:port", "1"), ("nodes:1:host", "b"), ("nodes:1:port", "2"));

    [Fact]
    public void Parse_EmptyObject_IsKeyWithNullValue() =>
        HoconAssert.Flattens("a {}\nb { c {} }", ("a", null), ("b:c", null));

    [Fact]
    public void Parse_PlusEquals_AppendsToEarlierArrayOrStartsOne() =>
        HoconAssert.Flattens(
            """
            a = [1]
            a += 2
            b += x
            """,
            ("a:0", "1"), ("a:1", "2"), ("b:0", "x"));

    [Fact]
    public void Parse_EmptyDocument_HasNoKeys() =>
        HoconAssert.Flattens("  # only a comment\n\n");

    [Fact]
    public void Parse_ByteOrderMarkAndWindowsNewlines_AreAccepted() =>
        HoconAssert.Flattens("\uFEFFa = 1\r\nb = two words\r\n", ("a", "1"), ("b", "two words"));

    [Fact]
    public void Parse_IncludeLaterInKeyOrAsValue_IsOrdinaryText() =>
        HoconAssert.Flattens(
            """
            foo include = 1
            "include" = 2
            v = include
            includes = 3
            """,
            ("foo include", "1"), ("include", "2"), ("v", "include"), ("includes", "3"));
}
