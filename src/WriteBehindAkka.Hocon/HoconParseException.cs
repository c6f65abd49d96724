namespace WriteBehindAkka.Hocon;

/// <summary>
/// Thrown when HOCON text cannot be parsed or its substitutions cannot be resolved. The message starts
/// with <c>file(line,column): </c> and then says what was expected and what was found.
/// </summary>
public sealed class HoconParseException : FormatException
{
    /// <summary>Creates an exception for a problem at <paramref name="position"/>.</summary>
    /// <param name="position">Where the problem is.</param>
    /// <param name="reason">What is wrong and what to do, without the location prefix.</param>
    public HoconParseException(HoconPosition position, string reason)
        : base($"{position}: {reason}")
    {
        Position = position;
        Reason = reason;
    }

    /// <summary>Where the problem is.</summary>
    public HoconPosition Position { get; }

    /// <summary>The file name as reported in the message, or <c>&lt;string&gt;</c>.</summary>
    public string FileName => Position.FileName;

    /// <summary>The 1-based line of the problem.</summary>
    public int Line => Position.Line;

    /// <summary>The 1-based column of the problem.</summary>
    public int Column => Position.Column;

    /// <summary>The message without the <c>file(line,column): </c> prefix.</summary>
    public string Reason { get; }

    /// <summary>Gets a value indicating whether a substitution cycle was found (a self-reference then looks backward instead).</summary>
    internal bool IsCycle { get; init; }
}
