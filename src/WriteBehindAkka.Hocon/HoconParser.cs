using WriteBehindAkka.Hocon.Parsing;
using WriteBehindAkka.Hocon.Resolution;

namespace WriteBehindAkka.Hocon;

/// <summary>Parses HOCON text and resolves its includes and substitutions into a <see cref="HoconObject"/>.</summary>
public static class HoconParser
{
    /// <summary>The name used in positions and messages for text that has no file.</summary>
    public const string StringFileName = "<string>";

    /// <summary>
    /// Parses <paramref name="text"/>, expands includes, merges duplicate keys and resolves every
    /// substitution against the whole document (falling back to environment variables).
    /// </summary>
    /// <param name="text">The HOCON text.</param>
    /// <param name="fileName">
    /// The file the text came from: used in error messages and as the base for relative includes.
    /// <see langword="null"/> reports positions as <c>&lt;string&gt;</c> and resolves includes as given.
    /// </param>
    /// <param name="includeResolver">
    /// Returns the text of an included file, or <see langword="null"/> when it does not exist. It receives the
    /// include name already combined with the including file's directory (for example <c>conf/akka.conf</c>).
    /// <see langword="null"/> reads files from disk.
    /// </param>
    /// <returns>The resolved root object.</returns>
    /// <exception cref="HoconParseException">
    /// The text is malformed, a required include is missing, includes form a cycle, or a substitution
    /// is undefined or part of a cycle. The message names the file, line and column.
    /// </exception>
    public static HoconObject Parse(string text, string? fileName = null, Func<string, string?>? includeResolver = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var includes = new IncludeLoader(includeResolver ?? ReadFileFromDisk);
        if (fileName is not null)
        {
            includes.Enter(fileName, new HoconPosition(fileName, 1, 1));
        }

        var syntax = new DocumentParser(text, fileName, includes, prefix: []).ParseDocument();
        return new SubstitutionResolver(syntax, Environment.GetEnvironmentVariable).Resolve();
    }

    private static string? ReadFileFromDisk(string path) => File.Exists(path) ? HoconText.Decode(File.ReadAllBytes(path), path) : null;
}
