using WriteBehindAkka.Hosting.Configuration;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Hosting;

/// <summary>
/// The settings of one cache registered with <see cref="WriteBehindServiceCollectionExtensions.AddWriteBehindCache{TKey, TValue}"/>:
/// named options (the name is the cache's), filled by the builder's methods and by configuration in the order they
/// were called, validated once when the host starts, and read once when the cache is created.
/// </summary>
public sealed class WriteBehindCacheOptions
{
    /// <summary>Gets or sets the cache's settings; bound from the root of the cache's configuration section.</summary>
    /// <value>The default value is <see cref="WriteBehindOptions"/> with its defaults.</value>
    public WriteBehindOptions Cache { get; set; } = new();

    /// <summary>Gets or sets the health check's thresholds; bound from the section's <c>Health</c> child.</summary>
    /// <value>The default value is <see cref="WriteBehindHealthCheckOptions"/> with its defaults.</value>
    public WriteBehindHealthCheckOptions Health { get; set; } = new();

    /// <summary>Gets the configuration keys a bound section held that name no setting (typos, kebab-case keys); reported by validation.</summary>
    internal List<ConfigurationKey> UnknownKeys { get; } = [];

    /// <summary>The path given to BindConfiguration when no such section exists (a typo, or nothing configured yet).</summary>
    internal string? MissingSection { get; set; }

    /// <summary>Values the binder would take silently and wrongly (a plain value on a section, a null for a number), as messages; reported by validation.</summary>
    internal List<string> ValueProblems { get; } = [];

    /// <summary>
    /// The settings configuration gave, by name as problems give it (<c>Restart.MaxBackoff</c>; case-insensitive), with
    /// their keys and the values bound: a problem with a setting whose value is still the one bound names where it was
    /// written (a value that code set after the binding is not the configuration's).
    /// </summary>
    internal Dictionary<string, (ConfigurationKey Key, object? Value)> BoundSettings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Duration settings given as a bare number, with their values (filled by the configuration binding).</summary>
    internal List<(ConfigurationKey Key, string Value)> UnitlessDurations { get; } = [];
}
