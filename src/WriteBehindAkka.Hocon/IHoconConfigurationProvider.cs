using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// A configuration provider that reads HOCON (the providers of <see cref="HoconConfigurationExtensions.AddHoconFile(IConfigurationBuilder, string, bool, bool)"/>
/// and <see cref="HoconConfigurationExtensions.AddHoconString"/>) and knows where each of its values was written, so
/// that a problem found in a value after binding can name the file, line and column, not only the key.
/// </summary>
/// <remarks>
/// Ask the provider that supplies the key's value: the last one in <see cref="IConfigurationRoot.Providers"/> whose
/// <see cref="IConfigurationProvider.TryGet"/> finds the key. An earlier HOCON provider may know a position for the
/// same key, but its value was overridden.
/// </remarks>
public interface IHoconConfigurationProvider : IConfigurationProvider
{
    /// <summary>Finds where the value this provider holds for <paramref name="key"/> was written.</summary>
    /// <param name="key">
    /// A configuration key, in any case (<c>WriteBehind:Caches:scores:MaxBatchSize</c>), or the path of a section
    /// (an object or array) that has keys below it.
    /// </param>
    /// <param name="position">
    /// The value's position in the resolved document: where the assignment that won was written when the key was
    /// assigned more than once, in the included file when an include supplied it, and where the referenced value was
    /// written when it came from a substitution (<c>${path}</c>). For a section, where it was written first.
    /// </param>
    /// <returns>
    /// <see langword="true"/> when the provider's data, as last loaded, holds the key; <see langword="false"/> when it
    /// does not, or when the value was changed after loading (<see cref="IConfigurationProvider.Set"/>).
    /// </returns>
    bool TryGetPosition(string key, out HoconPosition position);
}
