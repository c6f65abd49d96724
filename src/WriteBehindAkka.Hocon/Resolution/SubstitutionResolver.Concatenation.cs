using System.Text;
using WriteBehindAkka.Hocon.Parsing;

namespace WriteBehindAkka.Hocon.Resolution;

internal sealed partial class SubstitutionResolver
{
    /// <summary>
    /// Resolves a value concatenation: strings join (keeping the whitespace between parts), arrays append,
    /// objects merge. An undefined optional substitution counts as an empty string, array or object.
    /// </summary>
    /// <returns>The combined value, or <see langword="null"/> when every part was undefined.</returns>
    private HoconValue? ResolveConcatenation(SyntaxConcatenation concatenation, string[] path)
    {
        var parts = new List<(SyntaxValue Syntax, HoconValue? Value)>(concatenation.Parts.Count);
        foreach (var part in concatenation.Parts)
        {
            parts.Add((part, part is SyntaxWhitespace ? null : ResolveValue(part, path)));
        }

        var defined = parts.Where(p => p.Value is not null).ToList();
        if (defined.Count == 0)
        {
            return null;
        }

        if (defined.Any(p => p.Value is HoconObject or HoconArray))
        {
            return ConcatenateContainers(defined, concatenation, path);
        }

        // Measured before it is built: a substitution repeated by mistake would otherwise build a string too long to hold.
        CheckSize(0, parts.Sum(p => p.Value is null && p.Syntax is SyntaxWhitespace whitespace ? whitespace.Text.Length : p.Value?.Characters ?? 0), path, concatenation.Position);
        var text = new StringBuilder();
        var quoted = false;
        foreach (var (syntax, value) in parts)
        {
            switch (value)
            {
                case null when syntax is SyntaxWhitespace whitespace:
                    text.Append(whitespace.Text);
                    break;
                case HoconScalar { Kind: HoconScalarKind.Null } when syntax is SyntaxSubstitution:
                    break; // A substitution that is null adds nothing to a string.
                case HoconScalar scalar:
                    text.Append(scalar.Value ?? "null");
                    quoted |= scalar.IsQuoted;
                    break;
            }
        }

        return new HoconScalar(HoconScalarKind.String, text.ToString(), quoted, concatenation.Position);
    }

    private static HoconValue ConcatenateContainers(List<(SyntaxValue Syntax, HoconValue? Value)> defined, SyntaxConcatenation concatenation, string[] path)
    {
        var position = concatenation.Position;
        var first = defined[0].Value!;
        var mismatch = defined.FirstOrDefault(p => p.Value!.GetType() != first.GetType());
        if (mismatch.Value is not null && concatenation.AppendedTo is { } key)
        {
            // "key += x" is "key = ${?key} [x]": the earlier value is the part that is not the appended array.
            throw new HoconParseException(
                position,
                $"{key} += ... appends to an array, but the earlier value of '{key}' is {Describe(first)}; " +
                "write the earlier value as an array ([...]), or use '=' to replace it.");
        }

        if (mismatch.Value is not null)
        {
            throw new HoconParseException(
                mismatch.Syntax.Position,
                $"cannot concatenate {Describe(first)} with {Describe(mismatch.Value)}; put a newline or ',' between separate values, or quote text.");
        }

        if (first is HoconArray)
        {
            CheckSize(1 + defined.Sum(p => p.Value!.Values - 1), defined.Sum(p => p.Value!.Characters), path, position);
            var items = defined.SelectMany(p => ((HoconArray)p.Value!).Items).ToList();
            return new HoconArray(items, position);
        }

        var merged = first;
        foreach (var (_, value) in defined.Skip(1))
        {
            merged = ResolvedMerger.Merge(merged, value!);
        }

        return merged;
    }

    private static string Describe(HoconValue value) => value switch
    {
        HoconObject => "an object",
        HoconArray => "an array",
        HoconScalar { Kind: HoconScalarKind.Null } => "null",
        HoconScalar { Kind: HoconScalarKind.Number } => "a number",
        HoconScalar { Kind: HoconScalarKind.Boolean } => "a boolean",
        _ => "a string",
    };
}
