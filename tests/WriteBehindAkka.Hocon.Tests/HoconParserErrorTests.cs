namespace WriteBehindAkka.Hocon.Tests;

public class HoconParserErrorTests
{
    [Fact]
    public void Parse_KeyWithoutSeparator_NamesFileLineColumnAndExpectation()
    {
        var ex = Assert.Throws<HoconParseException>(() => HoconParser.Parse("a = 1\nakka { batching }", "hocon/demo.conf", _ => null));

        Assert.Equal("hocon/demo.conf(2,17): expected '=' or ':' or '{' after key 'batching', found '}'", ex.Message);
        Assert.Equal(("hocon/demo.conf", 2, 17), (ex.FileName, ex.Line, ex.Column));
        Assert.Equal("expected '=' or ':' or '{' after key 'batching', found '}'", ex.Reason);
    }

    [Fact]
    public void Parse_KeyAtEndOfLine_ReportsEndOfLine()
    {
        var ex = HoconAssert.FailsAt("akka {\n  batching\n}", 2, 11);

        Assert.Equal("<string>(2,11): expected '=' or ':' or '{' after key 'batching', found end of line", ex.Message);
    }

    [Fact]
    public void Parse_UnterminatedQuotedString_PointsAtOpeningQuote()
    {
        var ex = HoconAssert.FailsAt("a = 1\nb = \"abc\nc = 2", 2, 5);

        Assert.Equal(
            "<string>(2,5): unterminated quoted string: expected a closing '\"' before the end of the line; use \"\"\"...\"\"\" for text that spans lines",
            ex.Message);
    }

    [Fact]
    public void Parse_UnterminatedTripleQuotedString_PointsAtOpeningQuotes() =>
        HoconAssert.FailsAt("x = 1\n  s = \"\"\"abc\n def", 2, 7);

    [Fact]
    public void Parse_UnclosedObject_ReportsEndOfInputAndWhereItOpened()
    {
        var ex = HoconAssert.FailsAt("a {\n  b = 1\n", 3, 1);

        Assert.Equal("<string>(3,1): expected '}' to close the object opened at <string>(1,3), found end of input", ex.Message);
    }

    [Fact]
    public void Parse_UnclosedArray_ReportsEndOfInputAndWhereItOpened()
    {
        var ex = HoconAssert.FailsAt("a = [1, 2", 1, 10);

        Assert.Equal("<string>(1,10): expected ']' to close the array opened at <string>(1,5), found end of input", ex.Message);
    }

    [Fact]
    public void Parse_MissingValue_ReportsWhatWasFound()
    {
        var ex = HoconAssert.FailsAt("a {\n  b =\n}", 3, 1);

        Assert.Equal("<string>(3,1): expected a value for key 'b', found '}'", ex.Message);
    }

    [Fact]
    public void Parse_InvalidEscape_PointsAtBackslash()
    {
        var ex = HoconAssert.FailsAt("a = \"x\\q\"", 1, 7);

        Assert.StartsWith("<string>(1,7): invalid escape sequence in quoted string", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ForbiddenCharacterInUnquotedValue_PointsAtCharacter()
    {
        var ex = HoconAssert.FailsAt("a = b?c", 1, 6);

        Assert.Equal(
            "<string>(1,6): unexpected '?' in the value of key 'a'; quote the value (\"...\") if the character is part of the text",
            ex.Message);
    }

    [Fact]
    public void Parse_TwoFieldsOnOneLineWithoutComma_PointsAtSecondSeparator() =>
        HoconAssert.FailsAt("a = { b = 1 c = 2 }", 1, 15);

    [Fact]
    public void Parse_UnexpectedClosingBraceAtRoot_PointsAtBrace()
    {
        var ex = HoconAssert.FailsAt("a = 1\n}", 2, 1);

        Assert.Equal("<string>(2,1): found '}' but no object is open; remove it or add the matching '{'", ex.Message);
    }

    [Fact]
    public void Parse_JunkAfterValue_ReportsExpectedSeparator()
    {
        var ex = HoconAssert.FailsAt("a = 1 ]", 1, 7);

        Assert.Equal("<string>(1,7): expected ',' or a new line after the value of 'a', found ']'", ex.Message);
    }

    [Fact]
    public void Parse_DoubleDotInKey_PointsAtSecondDot() =>
        HoconAssert.FailsAt("a..b = 1", 1, 3);

    [Fact]
    public void Parse_KeyEndingWithDot_PointsAtWhatFollows()
    {
        var ex = HoconAssert.FailsAt("a. = 1", 1, 4);

        Assert.Equal("<string>(1,4): expected a path element after '.', found '='; a path cannot end with '.'", ex.Message);
    }

    [Fact]
    public void Parse_ArrayAtRoot_IsRejected()
    {
        var ex = HoconAssert.FailsAt("\n  [1, 2]", 2, 3);

        Assert.StartsWith("<string>(2,3): expected an object at the root of the document, found '['", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnclosedSubstitution_ReportsWhereItStarted()
    {
        var ex = HoconAssert.FailsAt("a = ${b", 1, 8);

        Assert.Equal("<string>(1,8): expected '}' to close the substitution started at <string>(1,5), found end of input", ex.Message);
    }

    [Fact]
    public void Parse_DollarWithoutBrace_PointsAtDollar() =>
        HoconAssert.FailsAt("a = $x", 1, 5);

    [Fact]
    public void Parse_DoubleCommaInArray_PointsAtSecondComma()
    {
        var ex = HoconAssert.FailsAt("a = [1,,2]", 1, 8);

        Assert.Equal("<string>(1,8): expected a value for an array element, found ','", ex.Message);
    }

    [Fact]
    public void Parse_IncludeWithoutQuotedName_PointsAfterKeyword()
    {
        var ex = HoconAssert.FailsAt("include foo", 1, 9);

        Assert.StartsWith("<string>(1,9): expected a quoted file name, file(\"...\") or required(\"...\") after 'include', found 'f'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TabsCountAsOneColumn() =>
        HoconAssert.FailsAt("a {\n\tb = x=y\n}", 2, 7);
}
