namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// Parses one HOCON file into a <see cref="SyntaxObject"/>, expanding includes as it goes. Substitutions
/// stay unresolved; duplicate keys are merged as they are met.
/// </summary>
internal sealed partial class DocumentParser
{
    private readonly SourceReader _reader;
    private readonly string? _sourcePath;
    private readonly IncludeLoader? _includes;
    private readonly string[] _prefix;

    // Objects and arrays nested deeper than this are rejected instead of exhausting the stack.
    private const int MaxNesting = 200;
    private int _nesting;

    /// <param name="text">The HOCON text.</param>
    /// <param name="sourcePath">The file path includes are relative to, or <see langword="null"/> for a string.</param>
    /// <param name="includes">Loads included files; <see langword="null"/> when parsing a bare path expression.</param>
    /// <param name="prefix">The path of the object this file is included into; substitutions are made absolute with it.</param>
    public DocumentParser(string text, string? sourcePath, IncludeLoader? includes, string[] prefix)
    {
        _reader = new SourceReader(text, sourcePath ?? HoconParser.StringFileName);
        _sourcePath = sourcePath;
        _includes = includes;
        _prefix = prefix;
    }

    /// <summary>Parses the whole text; the root must be an object, with or without braces.</summary>
    public SyntaxObject ParseDocument()
    {
        _reader.SkipWhitespaceNewlinesAndComments();
        var start = _reader.Position;
        if (_reader.AtEnd || _reader.Peek() != '{')
        {
            if (!_reader.AtEnd && _reader.Peek() == '[')
            {
                throw Error("expected an object at the root of the document, found '['; put the array in a field, for example items = [ ... ]");
            }

            return ParseMembers(new SyntaxObject(start), _prefix, openBrace: null);
        }

        var root = ParseBracedObject(_prefix);
        _reader.SkipWhitespaceNewlinesAndComments();
        if (!_reader.AtEnd)
        {
            throw Error($"expected end of input after the root object closed, found {_reader.DescribeNext()}; put every field inside the root braces or remove them");
        }

        return root;
    }

    /// <summary>Parses text that must be exactly one path expression, such as <c>a.b."c.d"</c>.</summary>
    public static string[] ParsePathExpression(string text)
    {
        var parser = new DocumentParser(text, "<path>", includes: null, prefix: []);
        parser._reader.ReadInlineWhitespace();
        var path = parser.ReadPath("a path");
        parser._reader.ReadInlineWhitespace();
        if (!parser._reader.AtEnd)
        {
            throw parser.Error($"expected end of the path, found {parser._reader.DescribeNext()}; quote path elements that contain special characters");
        }

        return path;
    }

    private SyntaxObject ParseBracedObject(string[] objectPath)
    {
        var open = _reader.Position;
        EnterNesting();
        _reader.Read(); // '{'
        var result = ParseMembers(new SyntaxObject(open), objectPath, open);
        _nesting--;
        return result;
    }

    private void EnterNesting()
    {
        if (++_nesting > MaxNesting)
        {
            throw Error($"objects and arrays are nested more than {MaxNesting} levels deep; flatten the structure");
        }
    }

    private SyntaxObject ParseMembers(SyntaxObject target, string[] objectPath, HoconPosition? openBrace)
    {
        while (true)
        {
            _reader.SkipWhitespaceNewlinesAndComments();
            if (_reader.AtEnd)
            {
                if (openBrace is { } open)
                {
                    throw Error($"expected '}}' to close the object opened at {open}, found end of input");
                }

                return target;
            }

            if (_reader.Peek() == '}')
            {
                if (openBrace is null)
                {
                    throw Error("found '}' but no object is open; remove it or add the matching '{'");
                }

                _reader.Read();
                return target;
            }

            var memberName = AtIncludeKeyword() ? ParseInclude(target, objectPath) : ParseField(target, objectPath);

            _reader.SkipInlineWhitespaceAndComment();
            if (_reader.AtNewline)
            {
                // A separating comma may also start a later line ("a = 1\n, b = 2", as in comma-first JSON).
                SkipCommaAfterNewlines();
                continue;
            }

            if (_reader.AtEnd || _reader.Peek() == '}')
            {
                continue;
            }

            if (_reader.Peek() == ',')
            {
                _reader.Read();
                continue;
            }

            throw Error($"expected ',' or a new line after {memberName}, found {_reader.DescribeNext()}");
        }
    }

    /// <summary>After an element and the new lines that end it, skips one comma if the next element's line starts with it.</summary>
    private void SkipCommaAfterNewlines()
    {
        _reader.SkipWhitespaceNewlinesAndComments();
        if (!_reader.AtEnd && _reader.Peek() == ',')
        {
            _reader.Read();
        }
    }

    /// <returns>A description of the field for messages about what follows it.</returns>
    private string ParseField(SyntaxObject target, string[] objectPath)
    {
        var keyPosition = _reader.Position;
        var segments = ReadPath("a key");
        var display = PathExpression.Render(segments);
        string[] fieldPath = [.. objectPath, .. segments];
        if (fieldPath.Length > MaxNesting)
        {
            // "a.b.c = 1" nests objects as braces do; resolving a path deeper than this would exhaust the stack.
            throw Error(keyPosition, $"the key's path is nested more than {MaxNesting} levels deep; flatten the structure");
        }

        var context = $"key '{display}'";
        _reader.ReadInlineWhitespace();
        if (_reader.AtNewline || _reader.AtComment)
        {
            // The separator or the brace may be on a later line ("WriteBehind\n{", as a C# brace style puts it).
            var mark = _reader.Mark();
            _reader.SkipWhitespaceNewlinesAndComments();
            if (_reader.AtEnd || !(_reader.Peek() is '=' or ':' or '{' || _reader.StartsWith("+=")))
            {
                _reader.Reset(mark);
            }
        }

        SyntaxValue value;
        if (!_reader.AtEnd && (_reader.Peek() == '=' || _reader.Peek() == ':'))
        {
            _reader.Read();
            _reader.SkipWhitespaceNewlinesAndComments();
            value = ParseValue(fieldPath, context);
        }
        else if (_reader.StartsWith("+="))
        {
            var operatorPosition = _reader.Position;
            _reader.Skip(2);
            _reader.SkipWhitespaceNewlinesAndComments();
            var appended = ParseValue(fieldPath, context);

            // "a += x" means "a = ${?a} [x]": append to the earlier array, or start one.
            var self = new SyntaxSubstitution(operatorPosition, fieldPath, isOptional: true, environmentName: null, $"${{?{display}}}");
            value = new SyntaxConcatenation(operatorPosition, [self, new SyntaxArray(appended.Position, [appended])], appendedTo: display);
        }
        else if (!_reader.AtEnd && _reader.Peek() == '{')
        {
            value = ParseValue(fieldPath, context);
        }
        else
        {
            throw Error($"expected '=' or ':' or '{{' after key '{display}', found {_reader.DescribeNext()}");
        }

        // "a.b.c = 1" is "a { b { c = 1 } }".
        for (var i = segments.Length - 1; i >= 1; i--)
        {
            var wrapper = new SyntaxObject(keyPosition);
            wrapper.Set(segments[i], value);
            value = wrapper;
        }

        target.Set(segments[0], value);
        return $"the value of '{display}'";
    }

    private HoconParseException Error(string reason) => new(_reader.Position, reason);

    private static HoconParseException Error(HoconPosition position, string reason) => new(position, reason);
}
