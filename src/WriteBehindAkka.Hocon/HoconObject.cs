using WriteBehindAkka.Hocon.Parsing;

namespace WriteBehindAkka.Hocon;

/// <summary>An object: keys (case-sensitive, as HOCON defines them) to values, in the order first written.</summary>
public sealed class HoconObject : HoconValue
{
    internal HoconObject(OrderedDictionary<string, HoconValue> fields, HoconPosition position)
        : base(position, 1 + fields.Values.Sum(v => v.Values), fields.Values.Sum(v => v.Characters), 1 + fields.Values.Select(v => v.Depth).DefaultIfEmpty(0).Max()) =>
        Fields = fields;

    /// <summary>The fields of the object, in the order their keys first appeared.</summary>
    public IReadOnlyDictionary<string, HoconValue> Fields { get; }

    /// <summary>
    /// Finds the value at a HOCON path expression such as <c>akka.cluster.roles</c> or
    /// <c>a."b.c".d</c> (quoted elements may contain dots).
    /// </summary>
    /// <param name="path">The path expression.</param>
    /// <returns>The value, or <see langword="null"/> when no value exists at that path.</returns>
    /// <exception cref="HoconParseException">The path expression is not valid HOCON path syntax.</exception>
    public HoconValue? Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        HoconValue? current = this;
        foreach (var segment in PathExpression.Parse(path))
        {
            if (current is not HoconObject obj || !obj.Fields.TryGetValue(segment, out current))
            {
                return null;
            }
        }

        return current;
    }
}
