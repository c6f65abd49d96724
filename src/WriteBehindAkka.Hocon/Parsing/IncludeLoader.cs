namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// Reads included files through a resolver and guards against include cycles. One loader is shared
/// by the parsers of a document and all the files it includes.
/// </summary>
internal sealed class IncludeLoader(Func<string, string?> resolver)
{
    /// <summary>How deeply includes may nest before the chain is treated as runaway.</summary>
    public const int MaxDepth = 32;

    // Extensions tried, in merge order, when an include names a file without an extension.
    private static readonly string[] ImplicitExtensions = [".json", ".conf"];

    private readonly List<string> _chain = [];

    /// <summary>Marks <paramref name="fileName"/> as being parsed; fails if it is already being parsed.</summary>
    public void Enter(string fileName, HoconPosition includedAt)
    {
        if (_chain.Contains(fileName, StringComparer.Ordinal))
        {
            var cycle = string.Join(" -> ", _chain.Append(fileName).Select(f => $"'{f}'"));
            throw new HoconParseException(
                includedAt,
                $"include cycle: {cycle}; remove one of these include statements.");
        }

        if (_chain.Count >= MaxDepth)
        {
            throw new HoconParseException(
                includedAt,
                $"includes are nested more than {MaxDepth} deep (at '{fileName}'); flatten the include chain.");
        }

        _chain.Add(fileName);
    }

    /// <summary>Marks the most recently entered file as finished.</summary>
    public void Exit() => _chain.RemoveAt(_chain.Count - 1);

    /// <summary>
    /// Reads the file(s) an include statement names. A name without an extension that does not exist as
    /// written is tried as <c>name.json</c> and <c>name.conf</c>, both merged when both exist.
    /// </summary>
    /// <returns>The files found, as (path, text); empty when a plain include finds nothing.</returns>
    /// <exception cref="HoconParseException">A <c>required(...)</c> include found nothing.</exception>
    public IReadOnlyList<(string FileName, string Text)> Load(
        string name, string? includingFile, bool required, HoconPosition position)
    {
        var path = IncludePaths.Combine(includingFile, name);
        if (resolver(path) is { } text)
        {
            return [(path, text)];
        }

        var found = new List<(string, string)>();
        if (Path.GetExtension(name).Length == 0)
        {
            foreach (var extension in ImplicitExtensions)
            {
                if (resolver(path + extension) is { } withExtension)
                {
                    found.Add((path + extension, withExtension));
                }
            }
        }

        if (found.Count == 0 && required)
        {
            throw new HoconParseException(
                position,
                $"required include '{name}' was not found (looked for '{path}'); create the file, fix the path " +
                "(it is relative to the including file), or drop required(...) to make the include optional.");
        }

        return found;
    }
}
