namespace WriteBehindAkka.Hocon;

/// <summary>
/// A place in a HOCON source: the file (or <c>&lt;string&gt;</c> for text that has no file),
/// the 1-based line and the 1-based column.
/// </summary>
/// <param name="FileName">The file the text came from, or <c>&lt;string&gt;</c>.</param>
/// <param name="Line">The 1-based line number.</param>
/// <param name="Column">The 1-based column number; a tab counts as one column.</param>
public readonly record struct HoconPosition(string FileName, int Line, int Column)
{
    /// <summary>Formats the position as <c>file(line,column)</c>, the way compilers report locations.</summary>
    /// <returns>For example <c>hocon/demo.conf(12,7)</c>.</returns>
    public override string ToString() => $"{FileName}({Line},{Column})";
}
