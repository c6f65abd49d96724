using System.Text;

namespace WriteBehindAkka.Hocon.Parsing;

internal sealed partial class DocumentParser
{
    /// <summary>
    /// Parses the value of a field or array element: one or more simple values on the same line,
    /// concatenated. Stops before a newline, <c>,</c>, <c>}</c>, <c>]</c>, a comment or the end.
    /// </summary>
    private SyntaxValue ParseValue(string[] fieldPath, string context)
    {
        var parts = new List<SyntaxValue>();
        while (true)
        {
            var whitespacePosition = _reader.Position;
            var whitespace = _reader.ReadInlineWhitespace();
            if (_reader.AtEnd || _reader.AtNewline || _reader.AtComment || _reader.Peek() is ',' or '}' or ']')
            {
                break;
            }

            if (parts.Count > 0 && whitespace.Length > 0)
            {
                parts.Add(new SyntaxWhitespace(whitespacePosition, whitespace));
            }

            parts.Add(ParseSimpleValue(fieldPath, context));
        }

        if (parts.Count == 0)
        {
            throw Error($"expected a value for {context}, found {_reader.DescribeNext()}");
        }

        return Concatenate(parts);
    }

    private SyntaxValue ParseSimpleValue(string[] fieldPath, string context)
    {
        var position = _reader.Position;
        var c = _reader.Peek();
        switch (c)
        {
            case '"':
                var text = _reader.StartsWith("\"\"\"") ? ReadTripleQuotedString() : ReadQuotedString();
                return new SyntaxScalar(position, HoconScalarKind.String, text, isQuoted: true);
            case '{':
                return ParseBracedObject(fieldPath);
            case '[':
                return ParseArray(fieldPath);
            case '$':
                return ParseSubstitution();
        }

        if (!CharClass.IsUnquoted(c))
        {
            throw Error($"unexpected {_reader.DescribeNext()} in the value of {context}; quote the value (\"...\") if the character is part of the text");
        }

        var word = ReadUnquotedWord();
        return word switch
        {
            "true" or "false" => new SyntaxScalar(position, HoconScalarKind.Boolean, word, isQuoted: false),
            "null" => new SyntaxScalar(position, HoconScalarKind.Null, null, isQuoted: false),
            _ when CharClass.IsJsonNumber(word) => new SyntaxScalar(position, HoconScalarKind.Number, word, isQuoted: false),
            _ => new SyntaxScalar(position, HoconScalarKind.String, word, isQuoted: false),
        };
    }

    /// <summary>Reads unquoted characters, allowing the '+' of a number's exponent (<c>1e+5</c>).</summary>
    private string ReadUnquotedWord()
    {
        var builder = new StringBuilder();
        while (!_reader.AtEnd && !_reader.AtComment)
        {
            var c = _reader.Peek();
            var exponentSign = c == '+' && builder.Length > 0 && builder[^1] is 'e' or 'E'
                && (char.IsAsciiDigit(builder[0]) || builder[0] == '-') && char.IsAsciiDigit(_reader.Peek(1));
            if (!CharClass.IsUnquoted(c) && !exponentSign)
            {
                break;
            }

            builder.Append(_reader.Read());
        }

        return builder.ToString();
    }

    private SyntaxArray ParseArray(string[] fieldPath)
    {
        var open = _reader.Position;
        EnterNesting();
        _reader.Read(); // '['
        var items = new List<SyntaxValue>();
        while (true)
        {
            _reader.SkipWhitespaceNewlinesAndComments();
            if (_reader.AtEnd || _reader.Peek() == '}')
            {
                throw Error($"expected ']' to close the array opened at {open}, found {_reader.DescribeNext()}");
            }

            if (_reader.Peek() == ']')
            {
                _reader.Read();
                _nesting--;
                return new SyntaxArray(open, items);
            }

            items.Add(ParseValue(fieldPath, "an array element"));
            _reader.SkipInlineWhitespaceAndComment();
            if (_reader.AtNewline)
            {
                SkipCommaAfterNewlines();
                continue;
            }

            if (_reader.AtEnd || _reader.Peek() == ']')
            {
                continue;
            }

            if (_reader.Peek() == ',')
            {
                _reader.Read();
                continue;
            }

            throw Error($"expected ',' or ']' or a new line after an array element, found {_reader.DescribeNext()}");
        }
    }

    private SyntaxSubstitution ParseSubstitution()
    {
        var start = _reader.Position;
        if (_reader.Peek(1) != '{')
        {
            throw Error("unexpected '$': substitutions are written ${path}; quote the value (\"...\") if '$' is part of the text");
        }

        _reader.Skip(2);
        var optional = !_reader.AtEnd && _reader.Peek() == '?';
        if (optional)
        {
            _reader.Read();
        }

        _reader.ReadInlineWhitespace();
        var segments = ReadPath("a path after '${'");
        _reader.ReadInlineWhitespace();
        if (_reader.AtEnd || _reader.Peek() != '}')
        {
            throw Error($"expected '}}' to close the substitution started at {start}, found {_reader.DescribeNext()}");
        }

        _reader.Read();
        var display = PathExpression.Render(segments);
        var written = optional ? $"${{?{display}}}" : $"${{{display}}}";
        return new SyntaxSubstitution(start, [.. _prefix, .. segments], optional, string.Join('.', segments), written, _prefix.Length == 0 ? null : [.. segments]);
    }

    /// <summary>Turns the parts of a value into one value, joining plain strings right away.</summary>
    private static SyntaxValue Concatenate(List<SyntaxValue> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        if (!parts.All(p => p is SyntaxScalar or SyntaxWhitespace))
        {
            return new SyntaxConcatenation(parts[0].Position, parts);
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append(part is SyntaxScalar scalar ? scalar.ConcatenationText : ((SyntaxWhitespace)part).Text);
        }

        var quoted = parts.Any(p => p is SyntaxScalar { IsQuoted: true });
        return new SyntaxScalar(parts[0].Position, HoconScalarKind.String, text.ToString(), quoted);
    }
}
