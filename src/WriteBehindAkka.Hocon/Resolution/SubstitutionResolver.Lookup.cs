using WriteBehindAkka.Hocon.Parsing;

namespace WriteBehindAkka.Hocon.Resolution;

internal sealed partial class SubstitutionResolver
{
    /// <summary>
    /// Finds the value of a substitution: in the document (for a substitution of a file included inside an object,
    /// at the include's path first, then at the path as written), or, when it refers to the field being defined (or
    /// below it) and looking forward is a cycle, in the value written before (<see cref="LookupBackward"/>); then in
    /// the environment.
    /// </summary>
    /// <returns>The value, or <see langword="null"/> for an unresolved optional substitution.</returns>
    private HoconValue? Lookup(SyntaxSubstitution substitution)
    {
        var scope = FindSelfReferenceScope(substitution.Path);
        var value = scope is not null
            ? LookupForwardThenBackward(substitution, scope)
            : LookupInDocument(substitution, substitution.Path);
        if (value is null && scope is null && substitution.PathAsWritten is { } asWritten)
        {
            value = LookupInDocument(substitution, asWritten);
        }

        // As the specification says, a variable set to the empty string is treated as not present (DB_HOST= passed
        // through by docker-compose keeps the document's value instead of replacing it with "").
        var fromEnvironment = value is null && substitution.EnvironmentName is { } variable ? _environment(variable) : null;
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            value = new HoconScalar(HoconScalarKind.String, fromEnvironment, isQuoted: true, substitution.Position);
        }

        if (value is null && !substitution.IsOptional)
        {
            throw UndefinedError(substitution, scope is not null, environmentIsEmpty: fromEnvironment is { Length: 0 });
        }

        return value;
    }

    /// <summary>
    /// HOCON's rule for a substitution inside the field it refers to: look forward at the final value, and where that
    /// is a cycle (it always is for the field itself, <c>a = ${a} [x]</c>), look backward instead.
    /// </summary>
    private HoconValue? LookupForwardThenBackward(SyntaxSubstitution substitution, SelfReferenceScope scope)
    {
        try
        {
            return LookupInDocument(substitution, substitution.Path);
        }
        catch (HoconParseException error) when (error.IsCycle)
        {
            return LookupBackward(scope, substitution.Path);
        }
    }

    /// <summary>
    /// The value at <paramref name="path"/> as written up to the assignment being resolved: the field's earlier value,
    /// with the assignment's own fields layered over it (<c>a { x = 1, y = ${a.x} }</c> reads its own <c>x</c>). The field
    /// itself, or a field of the assignment that is being resolved now, has only its earlier value.
    /// </summary>
    private HoconValue? LookupBackward(SelfReferenceScope scope, string[] path)
    {
        var rest = path.AsSpan(scope.Path.Length);
        var before = Descend(scope.Prior, rest);

        // The assignment is walked once for a path: a part of it that asks for the same path again (svc =
        // ${svc.defaults} { host = h }) gets the earlier value only, or the walk would resolve that part again, for ever.
        // Another path is walked for as usual (c = ${svc.b}, b = ${svc.a}, a = 1 in one block: b reads the block's a).
        var walk = (scope, string.Join('\u0001', path));
        if (rest.IsEmpty || !_walking.Add(walk))
        {
            return before;
        }

        try
        {
            var written = LookupInAssignment(scope, path);
            return written is null ? before : before is null ? written : ResolvedMerger.Merge(before, written);
        }
        finally
        {
            _walking.Remove(walk);
        }
    }

    /// <summary>Walks the assignment of <paramref name="scope"/> down to <paramref name="path"/>, resolving only what it reaches.</summary>
    private HoconValue? LookupInAssignment(SelfReferenceScope scope, string[] path)
    {
        // Resolved as the assignment's own resolution would: under the scopes up to this one, not under the field
        // whose substitution asked (a sibling is not a self-reference of it).
        var savedScopes = _scopes;
        _scopes = savedScopes[..(savedScopes.IndexOf(scope) + 1)];
        try
        {
            return Walk(scope.Node, scope.Path.Length);
        }
        finally
        {
            _scopes = savedScopes;
        }

        HoconValue? Walk(SyntaxValue node, int depth)
        {
            if (depth < path.Length && node is SyntaxObject obj)
            {
                return obj.Fields.TryGetValue(path[depth], out var child) ? Walk(child, depth + 1) : null;
            }

            if (depth < path.Length && node is SyntaxConcatenation concatenation)
            {
                // svc = ${base} { a = 1, b = ${svc.a} }: the parts layered in order, objects walked, the rest resolved.
                HoconValue? layered = null;
                foreach (var part in concatenation.Parts)
                {
                    var value = part switch
                    {
                        SyntaxWhitespace => null,
                        SyntaxObject => Walk(part, depth),
                        _ => Descend(ResolveValue(part, path[..depth]), path.AsSpan(depth)),
                    };
                    layered = value is null ? layered : ResolvedMerger.Merge(layered, value);
                }

                return layered;
            }

            // The field being defined, or a field of the assignment that is being resolved now, has only its earlier value.
            return _inProgress.Contains(node) || ReferenceEquals(node, scope.Node)
                ? null
                : Descend(ResolveField(node, path[..depth]), path.AsSpan(depth));
        }
    }

    /// <summary>The innermost scope whose field is <paramref name="path"/> or contains it.</summary>
    private SelfReferenceScope? FindSelfReferenceScope(string[] path)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            var scope = _scopes[i];
            if (scope.Path.Length <= path.Length && path.AsSpan(0, scope.Path.Length).SequenceEqual(scope.Path))
            {
                return scope;
            }
        }

        return null;
    }

    /// <summary>
    /// Walks the unresolved tree from the root, resolving only what the path passes through, so an object
    /// may refer to its own fields (<c>bar { foo = 42, baz = ${bar.foo} }</c>) without a false cycle.
    /// </summary>
    private HoconValue? LookupInDocument(SyntaxSubstitution substitution, string[] path)
    {
        var savedScopes = _scopes;
        _scopes = [];
        _lookups.Add(substitution);
        try
        {
            SyntaxValue node = _root;
            for (var i = 0; i < path.Length; i++)
            {
                if (node is not SyntaxObject obj)
                {
                    // Substitutions, concatenations and merge stacks must be resolved to see inside them.
                    return Descend(ResolveField(node, path[..i]), path.AsSpan(i));
                }

                if (!obj.Fields.TryGetValue(path[i], out var child))
                {
                    return null;
                }

                node = child;
            }

            return ResolveField(node, path);
        }
        finally
        {
            _lookups.RemoveAt(_lookups.Count - 1);
            _scopes = savedScopes;
        }
    }

    private static HoconValue? Descend(HoconValue? value, ReadOnlySpan<string> path)
    {
        foreach (var segment in path)
        {
            if (value is not HoconObject obj || !obj.Fields.TryGetValue(segment, out value))
            {
                return null;
            }
        }

        return value;
    }

    private static HoconParseException UndefinedError(SyntaxSubstitution substitution, bool selfReference, bool environmentIsEmpty)
    {
        var path = PathExpression.Render(substitution.Path);
        var environment = substitution.EnvironmentName is not { } name ? string.Empty
            : environmentIsEmpty ? $" and environment variable '{name}' is empty, which counts as not set"
            : $" and no environment variable '{name}' is set";
        var reason = selfReference
            ? $"could not resolve substitution {substitution.WrittenForm}: it refers to the field being defined, which has no earlier value,{environment}. Give '{path}' a value before this line, or write ${{?...}} to make it optional."
            : $"could not resolve substitution {substitution.WrittenForm}: no value at path '{path}'{environment}. Define '{path}', or write ${{?...}} to make it optional.";
        return new HoconParseException(substitution.Position, reason);
    }

    private HoconParseException CycleError()
    {
        var closing = _lookups[^1];
        var chain = string.Join(" -> ", _lookups.Select(s => $"{s.WrittenForm} at {s.Position}"));
        return new HoconParseException(
            closing.Position,
            $"substitution {closing.WrittenForm} is part of a cycle: {chain}. A value cannot depend on itself; replace one of these substitutions with a concrete value.")
        {
            IsCycle = true,
        };
    }
}
