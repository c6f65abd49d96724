using WriteBehindAkka.Hocon.Parsing;

namespace WriteBehindAkka.Hocon.Resolution;

/// <summary>
/// While the value assigned to <see cref="Path"/> is being resolved, substitutions of that path (or of
/// paths below it) look forward at the whole document first, and where that is a cycle "backward" at the
/// value the field had before this assignment (with this assignment's other fields layered over it): that is
/// what makes <c>path = ${path} [...]</c>, <c>a = ${?a}</c> and <c>a { x = 1, y = ${a.x} }</c> followed by
/// <c>a = ${?A}</c> work instead of being cycles.
/// </summary>
/// <param name="Path">The field whose value is being resolved.</param>
/// <param name="Prior">The field's value before this assignment, or <see langword="null"/> when it had none.</param>
/// <param name="Node">The assignment being resolved: a path below <see cref="Path"/> is looked up in it too, over <see cref="Prior"/>.</param>
internal sealed record SelfReferenceScope(string[] Path, HoconValue? Prior, SyntaxValue Node);
