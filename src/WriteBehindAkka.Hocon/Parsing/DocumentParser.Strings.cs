using System.Globalization;
using System.Text;

namespace WriteBehindAkka.Hocon.Parsing;

internal sealed partial class DocumentParser
{
    /// <summary>
    /// Reads a path expression (a key or the inside of a substitution): quoted and unquoted parts,
    /// split into elements at dots outside quotes, with whitespace between parts kept.
    /// </summary>
    private string[] ReadPath(string expected)
    {
        var segments = new List<string>();
        var current = new StringBuilder();
        var currentHasContent = false;
        var anyContent = false;
        var pendingWhitespace = string.Empty;

        while (!_reader.AtEnd)
        {
            var c = _reader.Peek();
            if (c == '"')
            {
                current.Append(pendingWhitespace);
                pendingWhitespace = string.Empty;
                current.Append(_reader.StartsWith("\"\"\"") ? ReadTripleQuotedString() : ReadQuotedString());
                currentHasContent = anyContent = true;
            }
            else if (c == '.')
            {
                if (!currentHasContent)
                {
                    throw Error("expected a path element before '.'; a path cannot start with '.' or contain '..' (quote an empty key as \"\")");
                }

                _reader.Read();
                segments.Add(current.ToString());
                current.Clear();
                currentHasContent = false;
                pendingWhitespace = string.Empty;
            }
            else if (CharClass.IsUnquoted(c) && !_reader.AtComment)
            {
                current.Append(pendingWhitespace).Append(_reader.Read());
                pendingWhitespace = string.Empty;
                currentHasContent = anyContent = true;
            }
            else if (anyContent && _reader.AtInlineWhitespace)
            {
                pendingWhitespace = _reader.ReadInlineWhitespace();
                if (_reader.AtEnd || !(CharClass.IsUnquoted(_reader.Peek()) || _reader.Peek() == '"') || _reader.AtComment)
                {
                    break; // Whitespace before the separator is not part of the key.
                }
            }
            else
            {
                break;
            }
        }

        if (!anyContent)
        {
            throw Error($"expected {expected}, found {_reader.DescribeNext()}");
        }

        if (!currentHasContent)
        {
            throw Error($"expected a path element after '.', found {_reader.DescribeNext()}; a path cannot end with '.'");
        }

        segments.Add(current.ToString());
        return [.. segments];
    }

    /// <summary>Reads a <c>"..."</c> string with JSON escapes; it must end on the same line.</summary>
    private string ReadQuotedString()
    {
        var start = _reader.Position;
        _reader.Read(); // opening quote
        var builder = new StringBuilder();
        while (true)
        {
            if (_reader.AtEnd || _reader.AtNewline)
            {
                throw Error(start, $"unterminated quoted string: expected a closing '\"' before the {(_reader.AtEnd ? "end of input" : "end of the line")}; use \"\"\"...\"\"\" for text that spans lines");
            }

            var escapePosition = _reader.Position;
            var c = _reader.Read();
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            var escaped = _reader.AtEnd ? '\0' : _reader.Read();
            switch (escaped)
            {
                case '"' or '\\' or '/':
                    builder.Append(escaped);
                    break;
                case 'b':
                    builder.Append('\b');
                    break;
                case 'f':
                    builder.Append('\f');
                    break;
                case 'n':
                    builder.Append('\n');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case 'u':
                    builder.Append(ReadUnicodeEscape(escapePosition));
                    break;
                default:
                    throw Error(escapePosition, "invalid escape sequence in quoted string; use one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX, or a triple-quoted string for raw text");
            }
        }
    }

    private char ReadUnicodeEscape(HoconPosition escapePosition)
    {
        Span<char> hex = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            if (_reader.AtEnd || !char.IsAsciiHexDigit(_reader.Peek()))
            {
                throw Error(escapePosition, "invalid \\u escape: expected exactly 4 hexadecimal digits, as in \\u00e9");
            }

            hex[i] = _reader.Read();
        }

        return (char)int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads a <c>"""..."""</c> string: raw text, newlines allowed, no escapes. Quotes right before the
    /// closing three belong to the text (<c>""""a""""</c> is <c>"a"</c>).
    /// </summary>
    private string ReadTripleQuotedString()
    {
        var start = _reader.Position;
        _reader.Skip(3);
        var builder = new StringBuilder();
        while (true)
        {
            if (_reader.AtEnd)
            {
                throw Error(start, "unterminated triple-quoted string: expected a closing \"\"\" before the end of input");
            }

            if (_reader.StartsWith("\"\"\""))
            {
                var quotes = 3;
                while (_reader.Peek(quotes) == '"')
                {
                    quotes++;
                }

                builder.Append('"', quotes - 3);
                _reader.Skip(quotes);
                return builder.ToString();
            }

            builder.Append(_reader.Read());
        }
    }
}
