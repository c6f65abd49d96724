using System.Text;

namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>Parses and renders HOCON path expressions such as <c>a.b."c.d"</c>.</summary>
internal static class PathExpression
{
    /// <summary>Splits a path expression into its elements.</summary>
    /// <exception cref="HoconParseException">The text is not a valid path expression.</exception>
    public static string[] Parse(string text) => DocumentParser.ParsePathExpression(text);

    /// <summary>Renders elements back to a path expression, quoting those that need it.</summary>
    public static string Render(IEnumerable<string> segments) => string.Join('.', segments.Select(RenderSegment));

    private static string RenderSegment(string segment)
    {
        if (segment.Length > 0 && segment.All(c => c != '.' && CharClass.IsUnquoted(c)) && !segment.Contains("//", StringComparison.Ordinal))
        {
            return segment;
        }

        var builder = new StringBuilder("\"");
        foreach (var c in segment)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) => builder.Append($"\\u{(int)c:x4}"),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }
}
