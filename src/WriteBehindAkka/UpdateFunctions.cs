namespace WriteBehindAkka;

/// <summary>The update functions of <c>AddOrUpdateAsync</c> and <c>GetOrAddAsync</c>, for the interface's bodies and the cache's.</summary>
internal static class UpdateFunctions
{
    /// <summary>The function of <c>AddOrUpdateAsync</c>: <paramref name="addValue"/> for a key without a value, else <paramref name="update"/> of it.</summary>
    public static Func<CacheLookup<TValue>, TValue> AddOrUpdate<TValue>(TValue addValue, Func<TValue, TValue> update)
    {
        ArgumentNullException.ThrowIfNull(addValue);
        ArgumentNullException.ThrowIfNull(update);
        return current => current.Found ? update(current.Value!) : addValue;
    }

    /// <summary>The function of <c>GetOrAddAsync</c>: <paramref name="value"/> for a key without a value, else the key's value unchanged.</summary>
    public static Func<CacheLookup<TValue>, TValue> GetOrAdd<TValue>(TValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return current => current.Found ? current.Value! : value;
    }
}
