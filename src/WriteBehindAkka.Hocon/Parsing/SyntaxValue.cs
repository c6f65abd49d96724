namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>
/// A parsed but not yet resolved value. Substitutions, concatenations and merge stacks only exist at
/// this stage; <see cref="Resolution.SubstitutionResolver"/> turns the tree into <see cref="HoconValue"/>s.
/// </summary>
internal abstract class SyntaxValue
{
    protected SyntaxValue(HoconPosition position) => Position = position;

    /// <summary>Where the value starts in its source.</summary>
    public HoconPosition Position { get; }
}
