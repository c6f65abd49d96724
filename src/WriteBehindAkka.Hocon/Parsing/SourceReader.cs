namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>A cursor over HOCON text that tracks the 1-based line and column of the next character.</summary>
internal sealed class SourceReader
{
    private readonly string _text;
    private int _index;
    private int _line = 1;
    private int _column = 1;

    public SourceReader(string text, string fileName)
    {
        _text = text;
        FileName = fileName;
        if (_text.Length > 0 && _text[0] == '\uFEFF')
        {
            _index = 1; // A byte order mark is not part of the first line's columns.
        }
    }

    /// <summary>The name used in positions and messages.</summary>
    public string FileName { get; }

    /// <summary>Whether every character has been read.</summary>
    public bool AtEnd => _index >= _text.Length;

    /// <summary>The position of the next character.</summary>
    public HoconPosition Position => new(FileName, _line, _column);

    /// <summary>The character <paramref name="offset"/> ahead, or <c>'\0'</c> past the end (check <see cref="AtEnd"/>).</summary>
    public char Peek(int offset = 0) => _index + offset < _text.Length ? _text[_index + offset] : '\0';

    /// <summary>Whether the remaining text starts with <paramref name="value"/>.</summary>
    public bool StartsWith(string value) =>
        _index + value.Length <= _text.Length && string.CompareOrdinal(_text, _index, value, 0, value.Length) == 0;

    /// <summary>Whether a comment (<c>#</c> or <c>//</c>) starts at the next character.</summary>
    public bool AtComment => !AtEnd && (Peek() == '#' || (Peek() == '/' && Peek(1) == '/'));

    /// <summary>Whether the next character is a newline (which separates fields and array elements).</summary>
    public bool AtNewline => !AtEnd && Peek() == '\n';

    /// <summary>Whether the next character is whitespace other than a newline.</summary>
    public bool AtInlineWhitespace => !AtEnd && IsInlineWhitespace(Peek());

    /// <summary>Reads one character.</summary>
    public char Read()
    {
        var c = _text[_index++];
        if (c == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        return c;
    }

    /// <summary>Where the reader is, to come back to with <see cref="Reset"/> after looking ahead.</summary>
    /// <returns>The mark.</returns>
    public (int Index, int Line, int Column) Mark() => (_index, _line, _column);

    /// <summary>Goes back to a <see cref="Mark"/>.</summary>
    /// <param name="mark">The mark.</param>
    public void Reset((int Index, int Line, int Column) mark) => (_index, _line, _column) = mark;

    /// <summary>Reads <paramref name="count"/> characters.</summary>
    public void Skip(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Read();
        }
    }

    /// <summary>Reads spaces and tabs (not newlines) and returns them.</summary>
    public string ReadInlineWhitespace()
    {
        var start = _index;
        while (AtInlineWhitespace)
        {
            Read();
        }

        return _text[start.._index];
    }

    /// <summary>Skips to the end of the line (the newline itself is not read).</summary>
    public void SkipComment()
    {
        while (!AtEnd && Peek() != '\n')
        {
            Read();
        }
    }

    /// <summary>Skips inline whitespace and a trailing comment, stopping before the newline.</summary>
    public void SkipInlineWhitespaceAndComment()
    {
        ReadInlineWhitespace();
        if (AtComment)
        {
            SkipComment();
        }
    }

    /// <summary>Skips whitespace, newlines and comments.</summary>
    public void SkipWhitespaceNewlinesAndComments()
    {
        while (!AtEnd)
        {
            if (AtComment)
            {
                SkipComment();
            }
            else if (char.IsWhiteSpace(Peek()) || Peek() == '\uFEFF')
            {
                Read();
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Describes the next character for an error message: <c>'}'</c>, <c>end of line</c> or <c>end of input</c>.</summary>
    public string DescribeNext()
    {
        if (AtEnd)
        {
            return "end of input";
        }

        return Peek() switch
        {
            '\n' => "end of line",
            '\r' when Peek(1) == '\n' => "end of line",
            '\t' => "a tab",
            '\'' => "\"'\"",
            var c when char.IsControl(c) => $"control character U+{(int)c:X4}",
            var c => $"'{c}'",
        };
    }

    private static bool IsInlineWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');
}
