namespace WriteBehindAkka.Hocon.Parsing;

internal sealed partial class DocumentParser
{
    private const string IncludeKeyword = "include";

    // The characters of a URL's scheme (https, file, svn+ssh).
    private static readonly System.Buffers.SearchValues<char> UrlSchemeCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

    /// <summary>Whether an unquoted <c>include</c> starts the member (then it cannot be a key).</summary>
    private bool AtIncludeKeyword() =>
        _reader.StartsWith(IncludeKeyword) && !CharClass.IsUnquoted(_reader.Peek(IncludeKeyword.Length));

    /// <summary>
    /// Parses <c>include "f"</c>, <c>include file("f")</c> or <c>include required(...)</c> and merges the
    /// included file's fields into <paramref name="target"/> as if they were written here.
    /// </summary>
    /// <returns>A description of the statement for messages about what follows it.</returns>
    private string ParseInclude(SyntaxObject target, string[] objectPath)
    {
        var position = _reader.Position;
        _reader.Skip(IncludeKeyword.Length);
        _reader.SkipWhitespaceNewlinesAndComments();

        var required = _reader.StartsWith("required(");
        string name;
        HoconPosition namePosition;
        if (required)
        {
            _reader.Skip("required(".Length);
            _reader.SkipWhitespaceNewlinesAndComments();
            namePosition = _reader.Position;
            name = ReadIncludeTarget();
            ExpectClosingParenthesis("required(");
        }
        else
        {
            namePosition = _reader.Position;
            name = ReadIncludeTarget();
        }

        RejectUnsupportedIncludeName(name, namePosition);

        if (_includes is null)
        {
            throw Error(position, "include statements are only allowed in a document, not in a path expression");
        }

        foreach (var (fileName, text) in _includes.Load(name, _sourcePath, required, position))
        {
            _includes.Enter(fileName, position);
            var included = new DocumentParser(text, fileName, _includes, objectPath).ParseDocument();
            _includes.Exit();
            foreach (var (key, value) in included.Fields)
            {
                target.Set(key, value);
            }
        }

        return $"include \"{name}\"";
    }

    /// <summary>
    /// Refuses names this parser would otherwise misread: a URL (looked up as a relative file name, not found, and
    /// silently ignored) and a Java properties file (read as HOCON: <c>a = b # c</c> would lose <c># c</c>).
    /// </summary>
    private static void RejectUnsupportedIncludeName(string name, HoconPosition position)
    {
        var scheme = name.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 1 && char.IsAsciiLetter(name[0]) && !name.AsSpan(0, scheme).ContainsAnyExcept(UrlSchemeCharacters))
        {
            throw Error(position, $"include \"{name}\" is a URL; including URLs is not supported. Copy the file next to the including one and include it by a relative path, or by an absolute file path.");
        }

        if (Path.GetExtension(name).Equals(".properties", StringComparison.OrdinalIgnoreCase))
        {
            throw Error(position, $"include of a .properties file is not supported (\"{name}\" would be read as HOCON, and Java properties syntax differs); convert it to HOCON (a .conf file) and include that.");
        }
    }

    private string ReadIncludeTarget()
    {
        if (!_reader.AtEnd && _reader.Peek() == '"')
        {
            return ReadQuotedString();
        }

        if (_reader.StartsWith("file("))
        {
            _reader.Skip("file(".Length);
            _reader.SkipWhitespaceNewlinesAndComments();
            if (_reader.AtEnd || _reader.Peek() != '"')
            {
                throw Error($"expected a quoted file name inside file(...), found {_reader.DescribeNext()}");
            }

            var name = ReadQuotedString();
            ExpectClosingParenthesis("file(");
            return name;
        }

        foreach (var unsupported in (string[])["url(", "classpath("])
        {
            if (_reader.StartsWith(unsupported))
            {
                throw Error($"include {unsupported}...) is not supported; include a file with include \"path\" or include file(\"path\"), relative to the including file");
            }
        }

        throw Error($"expected a quoted file name, file(\"...\") or required(\"...\") after 'include', found {_reader.DescribeNext()}; write \"include\" in quotes to use it as a key");
    }

    private void ExpectClosingParenthesis(string opened)
    {
        _reader.SkipWhitespaceNewlinesAndComments();
        if (_reader.AtEnd || _reader.Peek() != ')')
        {
            throw Error($"expected ')' to close {opened}...), found {_reader.DescribeNext()}");
        }

        _reader.Read();
    }
}
