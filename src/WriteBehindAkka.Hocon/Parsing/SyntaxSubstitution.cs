namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>A <c>${path}</c> or <c>${?path}</c> reference.</summary>
internal sealed class SyntaxSubstitution(
    HoconPosition position,
    string[] path,
    bool isOptional,
    string? environmentName,
    string writtenForm,
    string[]? pathAsWritten = null) : SyntaxValue(position)
{
    /// <summary>
    /// In a file included inside an object, the path as written (from the document's root), looked up when the
    /// prefixed <see cref="Path"/> is not found, as the HOCON specification asks; otherwise <see langword="null"/>.
    /// </summary>
    public string[]? PathAsWritten { get; } = pathAsWritten;

    /// <summary>The absolute path in the whole document (already prefixed when the file was included inside an object).</summary>
    public string[] Path { get; } = path;

    /// <summary>Whether the substitution was written <c>${?...}</c>: when unresolved it is left out instead of failing.</summary>
    public bool IsOptional { get; } = isOptional;

    /// <summary>The environment variable consulted when the path is not in the document; <see langword="null"/> for <c>+=</c>.</summary>
    public string? EnvironmentName { get; } = environmentName;

    /// <summary>The substitution as the user wrote it, for messages (for example <c>${?HOME}</c>).</summary>
    public string WrittenForm { get; } = writtenForm;
}
