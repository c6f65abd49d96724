using System.ComponentModel;
using System.Globalization;
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
/// at start-up instead of silently ignored, and the values that do not convert to their setting's type, so that they
/// are reported with the other problems instead of by the .NET binder's exception, which names only the first.
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
    /// <param name="configuration">
    /// The configuration <paramref name="section"/> is part of: the problems found name, for a value from a HOCON source,
    /// where it was written (see <see cref="ConfigurationKey.Of"/>); <see langword="null"/> names the keys only.
    /// </param>
    public static void Bind(IConfigurationSection section, WriteBehindCacheOptions options, IConfiguration? configuration = null)
    {
        // Bind into copies: the records may be shared with the application's code (a RestartSettings passed to
        // WithRestart, say), and the binder sets their init-only properties through reflection.
        var cache = options.Cache ?? new WriteBehindOptions();
        cache = cache with
        {
            Restart = cache.Restart is null ? new RestartSettings() : cache.Restart with { },
            Journal = cache.Journal is null ? null : cache.Journal with { },
        };
        var bindable = Bindable(section);
        bool shardCountSet = cache.ShardCountIsSet;
        bool parallelismSet = cache.ParallelismIsSet;
        bindable.Bind(cache);

        // The binder set these to their defaults (it sets every property to its getter's value): let ShardCount follow
        // Parallelism again, and Parallelism a ShardCount set below it, unless the configuration or code named them.
        bool Named(string key) => bindable.GetChildren().Any(child => Is(child, key));
        if (!shardCountSet && !Named(nameof(WriteBehindOptions.ShardCount)))
        {
            cache = cache.WithShardCountUnset();
        }

        if (!parallelismSet && !Named(nameof(WriteBehindOptions.Parallelism)))
        {
            cache = cache.WithParallelismUnset();
        }

        options.Cache = cache;

        var health = options.Health?.Copy() ?? new WriteBehindHealthCheckOptions();
        bindable.GetSection(HealthSection).Bind(health);
        options.Health = health;

        foreach (var (setting, property) in Settings(section))
        {
            // A value that does not convert was left out of the binding (ValueProblems reports it): the setting keeps
            // the value it had, which this key did not give, so a range problem with it must not point here.
            string name = setting.Path[(section.Path.Length + 1)..].Replace(':', '.');
            if (!name.StartsWith(PostgreSqlSection + ".", StringComparison.OrdinalIgnoreCase) && setting.Value is { } value && Converts(value, property.PropertyType))
            {
                options.BoundSettings[name] = (ConfigurationKey.Of(setting.Path, configuration), SettingValue(options, name));
            }
        }

        options.UnknownKeys.AddRange(UnknownKeys(section).Select(path => ConfigurationKey.Of(path, configuration)));
        options.UnitlessDurations.AddRange(UnitlessDurations(section).Select(d => (ConfigurationKey.Of(d.Path, configuration), d.Value)));
        options.ValueProblems.AddRange(ValueProblems(section, configuration));
        options.MissingSection = section.Exists() ? null : section.Path;
    }

    /// <summary>
    /// The value a setting has in <paramref name="options"/> now, by its name as problems give it (<c>Parallelism</c>,
    /// <c>Restart.MaxBackoff</c>, <c>Health.LagThreshold</c>); <see cref="NoSetting"/> when no setting has that name.
    /// </summary>
    /// <param name="options">The cache's options.</param>
    /// <param name="name">The setting's name, its section and key separated by a dot.</param>
    /// <returns>The value (boxed), or <see cref="NoSetting"/>.</returns>
    public static object? SettingValue(WriteBehindCacheOptions options, string name)
    {
        const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase;
        var parts = name.Split('.');
        object? owner = parts.Length switch
        {
            1 => options.Cache,
            2 when parts[0].Equals(HealthSection, StringComparison.OrdinalIgnoreCase) => options.Health,
            2 when ChildSections.Any(c => c.Name.Equals(parts[0], StringComparison.OrdinalIgnoreCase)) => typeof(WriteBehindOptions).GetProperty(parts[0], Public)?.GetValue(options.Cache),
            _ => null,
        };
        return owner?.GetType().GetProperty(parts[^1], Public) is { } property ? property.GetValue(owner) : NoSetting;
    }

    /// <summary>What <see cref="SettingValue"/> returns for a name that is no setting (or a section that is not there).</summary>
    public static readonly object NoSetting = new();

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
            if (IsUnitlessDuration(setting, property))
            {
                yield return (setting.Path, setting.Value!);
            }
        }
    }

    /// <summary>Whether the setting is a duration given as a bare number other than 0.</summary>
    private static bool IsUnitlessDuration(IConfigurationSection setting, PropertyInfo property) =>
        (property.PropertyType == typeof(TimeSpan) || property.PropertyType == typeof(TimeSpan?))
        && setting.Value is { } value
        && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
        && number != 0;

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
    /// (<c>MaxRestarts = null</c> binds 0, no retries; <c>ShutdownTimeout = null</c>, a shutdown that waits for nothing);
    /// and values that do not convert to their setting's type (<c>OverflowStrategy = Drop</c>, <c>"MaxBatchDelay": "50ms"</c>
    /// in JSON), each with the forms it takes, which <see cref="Bind"/> leaves out.
    /// </summary>
    /// <param name="section">The cache's section.</param>
    /// <param name="configuration">The configuration the section is part of, to name where HOCON values were written; or <see langword="null"/>.</param>
    /// <returns>One message per problem.</returns>
    public static IEnumerable<string> ValueProblems(IConfigurationSection section, IConfiguration? configuration = null)
    {
        foreach (var (name, _, _) in ChildSections)
        {
            var child = section.GetSection(name);
            if (child.Value is { } plain)
            {
                string journal = name == JournalSection ? " (the journal is on only with a Journal section naming its Directory)" : string.Empty;
                yield return $"{ConfigurationKey.Of(child.Path, configuration)} is \"{plain}\", but {name} is a section of settings: write {name} {{ ... }} in HOCON, or an object in JSON{journal}.";
            }
        }

        foreach (var (setting, property) in Settings(section))
        {
            var children = setting.GetChildren().Select(c => c.Key).ToList();
            if (children.Count > 0 && TakesOneValue(property))
            {
                // UnknownKeys leaves the keys below it out: they are not misspelled settings.
                yield return children.All(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    ? $"{ConfigurationKey.Of(setting.Path, configuration)} is an array ([...]), but {property.Name} takes one value: write it without the brackets."
                    : $"{ConfigurationKey.Of(setting.Path, configuration)} is a section ({{ ... }}, with the key{(children.Count == 1 ? string.Empty : "s")} {string.Join(", ", children)}), but {property.Name} takes one value: write {property.Name} = ..., not {property.Name} {{ ... }}.";
            }
            else if (property.PropertyType.IsValueType
                && Nullable.GetUnderlyingType(property.PropertyType) is null
                && setting.Value is null
                && children.Count == 0)
            {
                yield return $"{ConfigurationKey.Of(setting.Path, configuration)} is null, which would set {property.Name} to {Activator.CreateInstance(property.PropertyType)}: leave it out to keep its default, or give it a value.";
            }
        }

        foreach (var (setting, property) in Unconvertible(section))
        {
            // A bare number for a duration ("1e4") is reported by UnitlessDurations, with its own advice.
            if (!IsUnitlessDuration(setting, property))
            {
                yield return ConversionProblem(ConfigurationKey.Of(setting.Path, configuration), setting.Value!, property);
            }
        }
    }

    /// <summary>Binds the section's <c>PostgreSql</c> child onto <paramref name="options"/>.</summary>
    /// <param name="section">The cache's section.</param>
    /// <param name="options">The store options to fill.</param>
    public static void BindPostgreSql(IConfigurationSection section, PostgreSqlStoreOptions options) =>
        Bindable(section).GetSection(PostgreSqlSection).Bind(options);

    /// <summary>
    /// The configuration to bind: <paramref name="section"/> itself or, when some of its values do not convert to
    /// their setting's type, a copy without them. The .NET binder throws at the first such value, which would hide
    /// every other problem (and the options could not even be built); left out, the setting keeps its value, and
    /// <see cref="ValueProblems"/> fails the start naming it.
    /// </summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>The section, or the copy (its keys relative to the section).</returns>
    private static IConfiguration Bindable(IConfigurationSection section)
    {
        var leftOut = Unconvertible(section).Select(u => u.Setting.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (leftOut.Count == 0)
        {
            return section;
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Copy(section);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        void Copy(IConfigurationSection from)
        {
            foreach (var child in from.GetChildren())
            {
                if (leftOut.Contains(child.Path))
                {
                    continue;
                }

                var children = child.GetChildren().Any();
                if (child.Value is not null || !children)
                {
                    // A null without children stays a null: the binder tells it from a missing key.
                    values[child.Path[(section.Path.Length + 1)..]] = child.Value;
                }

                Copy(child);
            }
        }
    }

    /// <summary>Whether a setting takes one value (a number, a string, a duration...) rather than a section of settings.</summary>
    private static bool TakesOneValue(PropertyInfo property) =>
        TypeDescriptor.GetConverter(property.PropertyType).CanConvertFrom(typeof(string));

    /// <summary>The settings whose value the binder cannot convert to their property's type.</summary>
    /// <param name="section">The cache's section.</param>
    /// <returns>Each setting and its property.</returns>
    private static IEnumerable<(IConfigurationSection Setting, PropertyInfo Property)> Unconvertible(IConfigurationSection section) =>
        Settings(section).Where(s => s.Setting.Value is { } value && !Converts(value, s.Property.PropertyType));

    /// <summary>Whether the binder converts <paramref name="value"/> to <paramref name="type"/>: as it does, through the type's converter.</summary>
    private static bool Converts(string value, Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            // The binder takes an empty value as null.
            return value.Length == 0 || Converts(value, underlying);
        }

        var converter = TypeDescriptor.GetConverter(type);
        if (!converter.CanConvertFrom(typeof(string)))
        {
            // A section's type (Restart = 5): the binder converts nothing, and ValueProblems reports the plain value.
            return true;
        }

        try
        {
            converter.ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>
    /// Says what is wrong with a value that does not convert and what to write instead; in particular what HOCON made
    /// of it, since the binder sees HOCON's conversions (<c>no</c> is false, <c>256m</c> is 256 minutes) and not what
    /// was written, and that units are converted only by the HOCON provider.
    /// </summary>
    /// <param name="key">The setting's key.</param>
    /// <param name="value">Its value.</param>
    /// <param name="property">The property it binds to.</param>
    /// <returns>The message.</returns>
    private static string ConversionProblem(ConfigurationKey key, string value, PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        string head = $"{key} is \"{value}\", which";
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            string quote = string.Empty;
            if (bool.TryParse(value, out bool flag))
            {
                // The HOCON provider turns an unquoted yes, on, no or off into True or False.
                string[] words = flag ? ["yes", "on"] : ["no", "off"];
                string member = names.FirstOrDefault(n => words.Contains(n, StringComparer.OrdinalIgnoreCase)) ?? names[0];
                quote = $" HOCON reads an unquoted {words[0]} or {words[1]} as {(flag ? "true" : "false")}: write \"{member}\", in quotes.";
            }

            return $"{head} names no {type.Name}: write one of {string.Join(", ", names)}.{quote}";
        }

        if (type == typeof(TimeSpan) && key.Position is not null)
        {
            // Written in HOCON: its units are the way to write it ([d.]hh:mm:ss would need quotes there).
            return $"{head} is not a duration (TimeSpan). In HOCON write a number and a unit, such as 50ms, 30s or 5 minutes: ns, us, ms, s, m, h, d, " +
                "or nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days, in lower case; " +
                string.Create(CultureInfo.InvariantCulture, $"at most {(long)TimeSpan.MaxValue.TotalDays} days (a TimeSpan's limit).");
        }

        if (type == typeof(TimeSpan))
        {
            return $"{head} is not a duration (TimeSpan): write [d.]hh:mm:ss[.fffffff], such as \"00:00:00.050\" for 50 ms or \"00:00:30\" for 30 s. " +
                "Units such as 50ms or 30s are converted only by the HOCON provider (ns, us, ms, s, m, h, d, or spelled out), not in JSON or environment variables.";
        }

        if ((type == typeof(long) || type == typeof(int)) && property.Name.EndsWith("Bytes", StringComparison.Ordinal))
        {
            if (value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var duration))
            {
                // The binder sees the duration, not what was written: a whole number of minutes was most likely
                // written with m (256m); anything else (30s, 0.5s) was not, and is not told it wrote minutes.
                if (duration.Ticks % TimeSpan.TicksPerMinute == 0)
                {
                    string minutes = duration.TotalMinutes.ToString("0", CultureInfo.InvariantCulture);
                    return $"{head} is not a size ({type.Name}) but a duration: HOCON reads the unit m as minutes, so {minutes}m is {Spoken(duration)}; write {minutes}M or {minutes}MiB for mebibytes.";
                }

                return $"{head} is not a size ({type.Name}) but a duration ({Spoken(duration)}): HOCON reads ns, us, ms, s, m (minutes), h and d as time units; " +
                    "write a whole number of bytes or a size unit: K, M, G or KiB, MiB, GiB (kB, MB, GB are powers of ten).";
            }

            if (key.Position is not null)
            {
                string cannot = value.StartsWith('-') ? ": a size cannot be negative." : ".";
                return $"{head} is not a size ({type.Name}){cannot} In HOCON write a whole number of bytes, or a number and a unit, such as 256MiB: " +
                    "B, K or KiB, M or MiB, G or GiB, T or TiB (powers of two), kB, MB, GB, TB (powers of ten; KB is not a unit).";
            }

            string negative = value.StartsWith('-') ? "; a size cannot be negative" : string.Empty;
            return $"{head} is not a size ({type.Name}): write a whole number of bytes, such as 268435456 for 256 MiB{negative}. " +
                "Units such as 256MiB are converted only by the HOCON provider (K, M, G or KiB, MiB, GiB; kB, MB, GB are powers of ten), not in JSON or environment variables.";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            (decimal min, decimal max) = type == typeof(int) ? (int.MinValue, int.MaxValue) : (long.MinValue, long.MaxValue);

            // A whole number the type holds, written otherwise (1e4): say how to write it.
            string digits = decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal number)
                && number == decimal.Truncate(number) && number >= min && number <= max
                ? $": {number.ToString("0", CultureInfo.InvariantCulture)}"
                : string.Empty;
            return string.Create(CultureInfo.InvariantCulture, $"{head} is not a whole number ({type.Name}, from {min} to {max}): write it in digits, without an exponent, a fraction or a unit{digits}.");
        }

        if (type == typeof(double))
        {
            return $"{head} is not a number (Double): write it with a dot for the decimals, such as 0.5.";
        }

        if (type == typeof(bool))
        {
            return $"{head} is not a Boolean: write true or false.";
        }

        return $"{head} does not convert to {type.Name}.";
    }

    /// <summary>A duration in words, for the HOCON minutes-for-mebibytes mistake: 4 hours 16 minutes.</summary>
    private static string Spoken(TimeSpan duration)
    {
        var parts = new List<string>();
        Add((long)duration.TotalDays, "day");
        Add(duration.Hours, "hour");
        Add(duration.Minutes, "minute");
        Add(duration.Seconds, "second");
        return parts.Count == 0 ? duration.ToString("c", CultureInfo.InvariantCulture) : string.Join(" ", parts);

        void Add(long count, string unit)
        {
            if (count != 0)
            {
                parts.Add($"{count} {unit}{(count == 1 ? string.Empty : "s")}");
            }
        }
    }

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
            if (nested is null)
            {
                continue; // A setting of one value given a section or an array: ValueProblems says so.
            }

            foreach (var grandChild in child.GetChildren())
            {
                if (!nested.Contains(grandChild.Key))
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
