namespace WriteBehindAkka;

/// <summary>The result of <c>TryGetAsync</c>: whether the key has a value, and the value.</summary>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="Found">Whether the key has a value (in the cache, or in the store by read-through).</param>
/// <param name="Value">The value when <paramref name="Found"/>; otherwise the type's default.</param>
public readonly record struct CacheLookup<TValue>(bool Found, TValue? Value);
