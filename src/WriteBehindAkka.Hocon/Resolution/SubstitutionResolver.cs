using System.Globalization;
using System.Runtime.CompilerServices;
using WriteBehindAkka.Hocon.Parsing;

namespace WriteBehindAkka.Hocon.Resolution;

/// <summary>
/// Resolves a parsed document into immutable <see cref="HoconValue"/>s. Substitutions are looked up
/// in the whole merged document, so they may refer forward; each node is resolved once and cycles are
/// reported with the chain of substitutions involved.
/// </summary>
internal sealed partial class SubstitutionResolver
{
    /// <summary>The most parts a configuration key may have once substitutions are resolved (a value's nesting, with its path).</summary>
    internal const int MaxDepth = 1_000;

    /// <summary>The most values (objects, arrays, scalars, every use counted) a resolved value may hold.</summary>
    internal const long MaxValues = 1_000_000;

    /// <summary>The most characters of text (every use counted) a resolved value may hold.</summary>
    internal const long MaxCharacters = 10_000_000;

    private readonly SyntaxObject _root;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<SyntaxValue, HoconValue?> _resolved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<SyntaxValue> _inProgress = new(ReferenceEqualityComparer.Instance);

    // The substitutions whose lookups are under way, outermost first; used to describe cycles.
    private readonly List<SyntaxSubstitution> _lookups = [];

    // Self-reference scopes are lexical: they apply to substitutions written inside the value being
    // resolved, so a lookup elsewhere in the document starts with an empty list.
    private List<SelfReferenceScope> _scopes = [];

    // The scopes whose assignment a backward lookup is walking now, each with the path it looks for (see LookupBackward).
    private readonly HashSet<(SelfReferenceScope Scope, string Path)> _walking = new(WalkComparer.Instance);

    /// <param name="root">The parsed root object.</param>
    /// <param name="environment">Reads an environment variable, or returns <see langword="null"/> when it is not set.</param>
    public SubstitutionResolver(SyntaxObject root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <summary>Resolves the whole document.</summary>
    /// <exception cref="HoconParseException">A substitution is undefined, part of a cycle, or concatenates incompatible values.</exception>
    public HoconObject Resolve() => (HoconObject)ResolveField(_root, [])!;

    /// <summary>Resolves the value stored at <paramref name="path"/>; <see langword="null"/> means "no value".</summary>
    private HoconValue? ResolveField(SyntaxValue node, string[] path)
    {
        if (node is SyntaxScalar scalar)
        {
            return ToScalar(scalar);
        }

        if (_resolved.TryGetValue(node, out var done))
        {
            return done;
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            // A substitution is resolved inside the lookup that needs it, so x0 = ${x1}, x1 = ${x2}, ... nests one
            // resolution per link; tens of thousands of links would otherwise crash the process with a stack overflow.
            throw DepthError(node.Position);
        }

        if (!_inProgress.Add(node))
        {
            throw CycleError();
        }

        try
        {
            var result = node switch
            {
                SyntaxObject obj => ResolveObject(obj, path),
                SyntaxMergeStack stack => ResolveStack(stack, path),
                _ => ResolveInScope(node, path, PriorFromEnclosingScope(path)),
            };
            CheckLimits(result, path, node.Position);
            _resolved[node] = result;
            return result;
        }
        finally
        {
            _inProgress.Remove(node);
        }
    }

    private HoconObject ResolveObject(SyntaxObject obj, string[] path)
    {
        var fields = new OrderedDictionary<string, HoconValue>(obj.Fields.Count, StringComparer.Ordinal);
        foreach (var (key, child) in obj.Fields)
        {
            if (ResolveField(child, [.. path, key]) is { } value)
            {
                fields[key] = value;
            }
        }

        return new HoconObject(fields, obj.Position);
    }

    /// <summary>Applies the successive assignments of one key in order; an undefined one leaves the earlier value.</summary>
    private HoconValue? ResolveStack(SyntaxMergeStack stack, string[] path)
    {
        // Inside a later block of an object being assigned over an earlier value, the key's earlier value starts from
        // there (svc { roles += a, roles += b } after svc = ${base}: [base's roles..., a, b]); the result is this
        // stack's own value, which the enclosing assignment merges over the earlier one.
        var outer = PriorFromEnclosingScope(path);
        HoconValue? accumulated = null;
        foreach (var entry in stack.Entries)
        {
            var prior = accumulated is null ? outer : outer is null ? accumulated : ResolvedMerger.Merge(outer, accumulated);
            if (ResolveInScope(entry, path, prior) is { } value)
            {
                accumulated = ResolvedMerger.Merge(accumulated, value);
            }
        }

        return accumulated;
    }

    /// <summary>
    /// The earlier value of a field inside an object that is itself being assigned over an earlier value
    /// (<c>svc = ${base} { roles = [a] }</c>, then <c>svc.roles += b</c>: while the second assignment to <c>svc</c>
    /// resolves, <c>svc.roles</c> had <c>[a]</c>). Null when no enclosing assignment had an earlier value.
    /// </summary>
    private HoconValue? PriorFromEnclosingScope(string[] path)
    {
        var outer = FindSelfReferenceScope(path);
        return outer is null || outer.Path.Length == path.Length ? null : Descend(outer.Prior, path.AsSpan(outer.Path.Length));
    }

    private HoconValue? ResolveInScope(SyntaxValue node, string[] path, HoconValue? prior)
    {
        _scopes.Add(new SelfReferenceScope(path, prior, node));
        try
        {
            return ResolveValue(node, path);
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
        }
    }

    private HoconValue? ResolveValue(SyntaxValue node, string[] path) => node switch
    {
        SyntaxScalar scalar => ToScalar(scalar),
        SyntaxObject or SyntaxMergeStack => ResolveField(node, path),
        SyntaxArray array => ResolveArray(array, path),
        SyntaxSubstitution substitution => Lookup(substitution),
        SyntaxConcatenation concatenation => ResolveConcatenation(concatenation, path),
        _ => throw new InvalidOperationException($"Unexpected syntax node {node.GetType().Name}; this is a bug in the HOCON resolver."),
    };

    private HoconArray ResolveArray(SyntaxArray array, string[] path)
    {
        var items = new List<HoconValue>(array.Items.Count);
        foreach (var item in array.Items)
        {
            // An undefined optional substitution in an array adds no element.
            if (ResolveValue(item, path) is { } value)
            {
                items.Add(value);
            }
        }

        return new HoconArray(items, array.Position);
    }

    /// <summary>
    /// Refuses a value over the size or nesting limits: a substitution repeated by mistake (b = ${a}${a}, c = ${b}${b},
    /// ...) doubles a value at each step and would exhaust the memory, and a chain of substitutions that each nest the
    /// one before builds a value deep enough to exhaust the stack of whoever walks it.
    /// </summary>
    private static void CheckLimits(HoconValue? value, string[] path, HoconPosition position)
    {
        if (value is null)
        {
            return;
        }

        CheckSize(value.Values, value.Characters, path, position);
        var levels = (long)path.Length + value.Depth;
        if (levels > MaxDepth)
        {
            throw new HoconParseException(
                position,
                string.Create(CultureInfo.InvariantCulture, $"{Subject(path)} would be nested {levels:N0} levels deep (a configuration key of {levels:N0} parts) ") +
                string.Create(CultureInfo.InvariantCulture, $"once substitutions and includes are resolved, more than the limit of {MaxDepth:N0}; ") +
                "check for substitutions or includes that each nest the one before, or flatten the structure.");
        }
    }

    /// <summary>Refuses a value that would hold more than <see cref="MaxValues"/> values or <see cref="MaxCharacters"/> characters.</summary>
    private static void CheckSize(long values, long characters, string[] path, HoconPosition position)
    {
        var (count, what, limit) = characters > MaxCharacters ? (characters, "characters", MaxCharacters)
            : values > MaxValues ? (values, "values", MaxValues)
            : (0L, string.Empty, 0L);
        if (count > 0)
        {
            throw new HoconParseException(
                position,
                string.Create(CultureInfo.InvariantCulture, $"{Subject(path)} would hold {count:N0} {what} once its substitutions are resolved, more than the limit of {limit:N0} ") +
                "(every use of a substituted value counts, so b = ${a}${a} doubles a); check for a substitution repeated by mistake.");
        }
    }

    private static string Subject(string[] path) => path.Length == 0 ? "the document" : $"the value of '{PathExpression.Render(path)}'";

    private HoconParseException DepthError(HoconPosition position)
    {
        var first = _lookups.Count > 0 ? $", starting with {_lookups[0].WrittenForm} at {_lookups[0].Position}" : string.Empty;
        return new HoconParseException(
            _lookups.Count > 0 ? _lookups[^1].Position : position,
            $"substitutions are chained too deeply to resolve ({_lookups.Count} substitutions, each waiting for the next{first}); " +
            "shorten the chain, or order the fields so that each refers to one defined before it.");
    }

    private static HoconScalar ToScalar(SyntaxScalar scalar) =>
        new(scalar.Kind, scalar.Text, scalar.IsQuoted, scalar.Position);

    /// <summary>Compares walks by the scope's identity and the path's text.</summary>
    private sealed class WalkComparer : IEqualityComparer<(SelfReferenceScope Scope, string Path)>
    {
        public static readonly WalkComparer Instance = new();

        public bool Equals((SelfReferenceScope Scope, string Path) x, (SelfReferenceScope Scope, string Path) y) =>
            ReferenceEquals(x.Scope, y.Scope) && string.Equals(x.Path, y.Path, StringComparison.Ordinal);

        public int GetHashCode((SelfReferenceScope Scope, string Path) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Scope), StringComparer.Ordinal.GetHashCode(obj.Path));
    }
}
