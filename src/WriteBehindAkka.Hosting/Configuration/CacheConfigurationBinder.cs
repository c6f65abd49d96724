using System.Reflection;
using Microsoft.Extensions.Configuration;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Hosting.Configuration;

/// <summary>
/// Binds a cache's configuration section: the root onto <see cref="WriteBehindOptions"/> (with <c>Restart</c> and <c>Journal</c>),
/// <c>Health</c> onto the health check's thresholds, <c>PostgreSql</c> onto <see cref="PostgreSqlStoreOptions"/>;
/// and lists the keys that name no setting, so that a typo or an Akka-style <c>max-batch-size</c> key is reported
/// at start-up instead of silently ignored.
/// </summary>
internal static class CacheConfigurationBinder
{
    /// <summary>The child section bound onto <see cref="WriteBehindCacheOptions.Health"/>.</summary>
    public const string HealthSection = "Health";

    /// <summary>The child section bound onto <see cref="PostgreSqlStoreOptions"/>.</summary>
    public const string PostgreSqlSection = "PostgreSql";

    /// <summary>The child section bound onto <see cref="WriteBehindOptions.Restart"/>.</summary>
    private const string RestartSection = nameof(WriteBehindOptions.Restart);

    /// <summary>The child section bound onto <see cref="WriteBehindOptions.Journal"/> (present: the journal is on).</summary>
    private const string JournalSection = nameof(WriteBehindOptions.Journal);

    private static readonly HashSet<string> CacheKeys = Keys(typeof(WriteBehindOptions), except: null, HealthSection, PostgreSqlSection);

    /// <summary>The child sections, the types they bind onto, and their keys.</summary>
    private static readonly (string Name, Type Type, HashSet<string> Keys)[] ChildSections =
    [
        (RestartSection, typeof(RestartSettings), Keys(typeof(RestartSettings), except: null)),
        (JournalSection, typeof(Journal.JournalOptions), Keys(typeof(Journal.JournalOptions), except: null)),
        (HealthSection, typeof(WriteBehindHealthCheckOptions), Keys(typeof(WriteBehindHealthCheckOptions), except: null)),

        // DataSource is an object: it cannot come from configuration, so a DataSource key is reported as unknown.
        (PostgreSqlSection, typeof(PostgreSqlStoreOptions), Keys(typeof(PostgreSqlStoreOptions), except: nameof(PostgreSqlStoreOptions.DataSource))),
    ];

    /// <summary>Binds the section's root and <c>Health</c> child onto <paramref name="options"/>, and records unknown keys.</summary>
    /// <param name="section">The cache's section.</param>
    /// <param name="options">The options to fill.</param>
    public static void Bind(IConfigurationSection section, WriteBehindCacheOptions options)
    {
        // Bind into copies: the records may be shared with the application's code (a RestartSettings passed to
        // WithRestart, say), and the binder sets their init-only properties through reflection.
        var cache = options.Cache ?? new WriteBehindOptions();
        cache = cache with
        {
            Restart = cache.Restart is null ? new RestartSettings() : cache.Restart with { },
            Journal = cache.Journal is null ? null : cache.Journal with { },
        };
        section.Bind(cache);
        options.Cache = cache;

        var health = options.Health?.Copy() ?? new WriteBehindHealthCheckOptions();
        section.GetSection(HealthSection).Bind(health);
        options.Health = health;

        options.UnknownKeys.AddRange(UnknownKeys(section));
        options.UnitlessDurations.AddRange(UnitlessDurations(section));
        options.ValueProblems.AddRange(ValueProblems(section));
        options.MissingSection = section.Exists() ? null : section.Path;
    }

    /// <summary>
    /// Lists the duration settings given as a bare number (<c>MaxBatchDelay = 50</c>): .NET reads <c>"50"</c> as 50
    /// days, where an Akka user means milliseconds, so neither reading is taken and the start fails (0 is zero either way).
    /// </summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>The paths and values.</returns>
    public static IEnumerable<(string Path, string Value)> UnitlessDurations(IConfigurationSection section)
    {
        foreach (var (setting, property) in Settings(section))
        {
            if ((property.PropertyType == typeof(TimeSpan) || property.PropertyType == typeof(TimeSpan?))
                && setting.Value is { } value
                && double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double number)
                && number != 0)
            {
                yield return (setting.Path, value);
            }
        }
    }

    /// <summary>The settings of the cache's section and of its child sections that name a property, with that property.</summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>Each setting and the property it binds to.</returns>
    private static IEnumerable<(IConfigurationSection Setting, PropertyInfo Property)> Settings(IConfigurationSection section)
    {
        foreach (var (child, type) in ChildSections.Select(c => (section.GetSection(c.Name), c.Type)).Prepend((section, typeof(WriteBehindOptions))))
        {
            foreach (var setting in child.GetChildren())
            {
                if (type.GetProperty(setting.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property)
                {
                    yield return (setting, property);
                }
            }
        }
    }

    /// <summary>
    /// Lists values the binder would take silently and wrongly: a plain value where a section of settings belongs
    /// (<c>Journal = on</c> binds nothing, and the journal stays off), and a null for a setting that cannot be null
    /// (<c>MaxRestarts = null</c> binds 0, no retries; <c>ShutdownTimeout = null</c>, a shutdown that waits for nothing).
    /// </summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>One message per problem.</returns>
    public static IEnumerable<string> ValueProblems(IConfigurationSection section)
    {
        foreach (var (name, _, _) in ChildSections)
        {
            var child = section.GetSection(name);
            if (child.Value is { } plain)
            {
                string journal = name == JournalSection ? " (the journal is on only with a Journal section naming its Directory)" : string.Empty;
                yield return $"'{child.Path}' is \"{plain}\", but {name} is a section of settings: write {name} {{ ... }} in HOCON, or an object in JSON{journal}.";
            }
        }

        foreach (var (setting, property) in Settings(section))
        {
            if (property.PropertyType.IsValueType
                && Nullable.GetUnderlyingType(property.PropertyType) is null
                && setting.Value is null
                && !setting.GetChildren().Any())
            {
                yield return $"'{setting.Path}' is null, which would set {property.Name} to {Activator.CreateInstance(property.PropertyType)}: leave it out to keep its default, or give it a value.";
            }
        }
    }

    /// <summary>Binds the section's <c>PostgreSql</c> child onto <paramref name="options"/>.</summary>
    /// <param name="section">The cache's section.</param>
    /// <param name="options">The store options to fill.</param>
    public static void BindPostgreSql(IConfigurationSection section, PostgreSqlStoreOptions options) =>
        section.GetSection(PostgreSqlSection).Bind(options);

    /// <summary>Lists the full paths of the keys under <paramref name="section"/> that name no setting.</summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>The paths, in configuration order.</returns>
    public static IEnumerable<string> UnknownKeys(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            if (!CacheKeys.Contains(child.Key))
            {
                yield return child.Path;
                continue;
            }

            var nested = ChildSections.FirstOrDefault(c => Is(child, c.Name)).Keys;
            foreach (var grandChild in child.GetChildren())
            {
                if (nested is null || !nested.Contains(grandChild.Key) || grandChild.GetChildren().Any())
                {
                    yield return grandChild.Path;
                }
            }
        }
    }

    private static bool Is(IConfigurationSection section, string key) => string.Equals(section.Key, key, StringComparison.OrdinalIgnoreCase);

    /// <summary>The names of a type's public settable properties, but <paramref name="except"/>, plus <paramref name="sections"/>.</summary>
    private static HashSet<string> Keys(Type type, string? except, params string[] sections)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.Name != except)
            {
                names.Add(property.Name);
            }
        }

        names.UnionWith(sections);
        return names;
    }
}
