namespace WriteBehindAkka.Hocon.Resolution;

/// <summary>
/// While the value assigned to <see cref="Path"/> is being resolved, substitutions of that path (or of
/// paths below it) look "backward" at the value the field had before this assignment — that is what
/// makes <c>path = ${path} [...]</c> and <c>a = ${?a}</c> work instead of being cycles.
/// </summary>
/// <param name="Path">The field whose value is being resolved.</param>
/// <param name="Prior">The field's value before this assignment, or <see langword="null"/> when it had none.</param>
internal sealed record SelfReferenceScope(string[] Path, HoconValue? Prior);
