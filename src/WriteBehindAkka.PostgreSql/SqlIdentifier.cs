using System.Text;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// Checks and quotes table, schema and column names. Every name is spliced into SQL quoted, so it is taken
/// exactly as written (case-sensitive: PostgreSQL folds unquoted names to lower case, so a table created as
/// <c>PlayerScores</c> without quotes is named <c>playerscores</c>). No value is ever spliced into SQL.
/// </summary>
internal static class SqlIdentifier
{
    /// <summary>The longest identifier PostgreSQL keeps, in bytes; longer ones are cut, which would address another object.</summary>
    private const int MaxBytes = 63;

    /// <summary>Returns a problem with a name, for a validation message.</summary>
    /// <param name="what">What the name is, for example "Table".</param>
    /// <param name="name">The name.</param>
    /// <returns>The problem, or <see langword="null"/> when the name is fine.</returns>
    internal static string? Problem(string what, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return $"{what} is empty: give the name of the {what.ToLowerInvariant()} as it is in the database.";
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return $"{what} '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character, which PostgreSQL names cannot hold.";
        }

        return Encoding.UTF8.GetByteCount(name) > MaxBytes
            ? $"{what} '{name}' is longer than {MaxBytes} bytes, and PostgreSQL cuts longer names: use a shorter name."
            : null;
    }

    /// <summary>Quotes a valid name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The name in double quotes, with inner quotes doubled.</returns>
    internal static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Names a table for people and for the dead-letter table's <c>source</c>: <c>schema.table</c>, or, when either
    /// part holds a dot or a double quote, both parts quoted. Plain, <c>"s.x"."t"</c> and <c>"s"."x.t"</c> were both
    /// <c>s.x.t</c>, and two stores sharing a dead-letter table saw each other's letters.
    /// </summary>
    /// <param name="schema">The schema.</param>
    /// <param name="name">The table.</param>
    /// <returns>The name; a quoted one always holds a quote, which a plain one never does, so no two tables share one.</returns>
    internal static string Display(string schema, string name) =>
        schema.AsSpan().IndexOfAny('.', '"') >= 0 || name.AsSpan().IndexOfAny('.', '"') >= 0 ? Quote(schema, name) : schema + "." + name;

    /// <summary>Quotes a schema-qualified name.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="name">The table.</param>
    /// <returns><c>"schema"."name"</c>.</returns>
    internal static string Quote(string schema, string name) => Quote(schema) + "." + Quote(name);
}
