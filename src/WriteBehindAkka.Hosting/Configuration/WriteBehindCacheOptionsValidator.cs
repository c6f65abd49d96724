using Microsoft.Extensions.Options;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Hosting.Configuration;

/// <summary>
/// Validates one cache's <see cref="WriteBehindCacheOptions"/> with the core <see cref="OptionsValidator"/> plus the
/// hosting's own checks, and fails with one message that lists every problem.
/// </summary>
internal sealed partial class WriteBehindCacheOptionsValidator : IValidateOptions<WriteBehindCacheOptions>
{
    private readonly string _cacheName;
    private readonly Func<string?> _section;
    private readonly Func<bool> _hasStore;

    /// <summary>Creates the validator of one cache.</summary>
    /// <param name="cacheName">The cache's name: the options name this validator checks.</param>
    /// <param name="section">The bound configuration section, if any (read at validation time).</param>
    /// <param name="hasStore">Whether a store was chosen (read at validation time).</param>
    public WriteBehindCacheOptionsValidator(string cacheName, Func<string?> section, Func<bool> hasStore)
    {
        _cacheName = cacheName;
        _section = section;
        _hasStore = hasStore;
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WriteBehindCacheOptions options)
    {
        if (!string.Equals(name, _cacheName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var problems = Problems(options, _hasStore());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Message(_cacheName, _section(), problems));
    }

    /// <summary>The one message: which cache, where its settings came from, and each problem on its own line.</summary>
    /// <param name="cacheName">The cache's name.</param>
    /// <param name="section">The bound configuration section, if any.</param>
    /// <param name="problems">The problems.</param>
    /// <returns>The message.</returns>
    internal static string Message(string cacheName, string? section, IReadOnlyList<string> problems) =>
        $"Invalid options for the write-behind cache '{cacheName}'" +
        (section is null ? string.Empty : $" (configuration section '{section}')") + ":" +
        Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", problems);

    /// <summary>Lists every problem; empty when the options are valid.</summary>
    /// <param name="options">The options.</param>
    /// <param name="hasStore">Whether a store was chosen.</param>
    /// <returns>One sentence per problem, each naming the setting and the fix.</returns>
    internal static List<string> Problems(WriteBehindCacheOptions options, bool hasStore)
    {
        var problems = new List<string>();
        if (!hasStore)
        {
            problems.Add("No store is chosen: call UsePostgreSql(...) or UseStore(...) on the builder that AddWriteBehindCache returned.");
        }

        if (options.Cache is null)
        {
            problems.Add("Cache is null; leave it unset for the defaults.");
        }
        else
        {
            // A bare number taken as days ("MaxBatchDelay = 50") is reported below as such, not also as "over 49 days".
            problems.AddRange(OptionsValidator.Validate(options.Cache).Where(problem => !options.UnitlessDurations.Any(
                unitless => unitless.Key.Path.Replace(':', '.').EndsWith("." + problem[..Math.Max(0, problem.IndexOf(" is ", StringComparison.Ordinal))], StringComparison.OrdinalIgnoreCase)))
                .Select(problem => Located(options, problem)));
        }

        if (options.Health is null)
        {
            problems.Add("Health is null; leave it unset for the defaults.");
        }
        else
        {
            if (options.Health.BacklogThreshold < 0)
            {
                problems.Add(Located(options, $"Health.BacklogThreshold is {options.Health.BacklogThreshold}; it must be zero or more (pending entries)."));
            }

            if (options.Health.StoreFailureThreshold < TimeSpan.Zero)
            {
                problems.Add(Located(options, $"Health.StoreFailureThreshold is {options.Health.StoreFailureThreshold}; it must be zero or more."));
            }

            if (options.Health.LagThreshold < TimeSpan.Zero)
            {
                problems.Add(Located(options, $"Health.LagThreshold is {options.Health.LagThreshold}; it must be zero or more."));
            }
        }

        foreach (var key in options.UnknownKeys)
        {
            problems.Add($"{key} names no setting; check its spelling. Keys are the option names (MaxBatchSize, Restart:MinBackoff, Health:BacklogThreshold, PostgreSql:Table), in any case; Akka-style names such as max-batch-size are not recognised.");
        }

        problems.AddRange(options.ValueProblems);

        foreach (var (key, value) in options.UnitlessDurations)
        {
            // Units are HOCON's: a value from JSON, an environment variable or code's in-memory source is told the
            // TimeSpan form, since "300ms" there would be refused in turn as not a duration.
            problems.Add(key.Position is null
                ? $"{key} is {value}, a duration without a unit (.NET would read it as {value} days); write it as [d.]hh:mm:ss[.fffffff]{TimeSpanExamples(value)} (units such as {value}ms are converted only by the HOCON provider, not in JSON or environment variables)."
                : $"{key} is {value}, a duration without a unit (.NET would read it as {value} days); write it with one: {value}ms, {value}s, {value} minutes (or 00:00:30 in JSON).");
        }

        return problems;
    }

    /// <summary>
    /// A range problem of the validator, with where configuration set the settings it names ("Parallelism is 0; ...",
    /// "Restart.MaxBackoff (...) is less than Restart.MinBackoff (...)") when a HOCON source gave their values and
    /// those are still in force, as the binding's own problems say it.
    /// </summary>
    private static string Located(WriteBehindCacheOptions options, string problem)
    {
        var keys = new List<ConfigurationKey>();
        foreach (var name in SettingName().Matches(problem).Select(match => match.Value).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (options.BoundSettings.TryGetValue(name, out var bound)
                && bound.Key.Position is not null
                && Equals(CacheConfigurationBinder.SettingValue(options, name), bound.Value))
            {
                keys.Add(bound.Key);
            }
        }

        return keys.Count == 0 ? problem : $"{problem} Set at {string.Join(" and ", keys)}.";
    }

    /// <summary>A setting's name where a problem states its value: <c>Parallelism is</c>, <c>Restart.MaxBackoff (</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Za-z]+(?:\.[A-Za-z]+)?(?= is | \()")]
    private static partial System.Text.RegularExpressions.Regex SettingName();

    /// <summary>
    /// The TimeSpan forms of a bare number read as milliseconds and as seconds, or a generic example when those would
    /// not help (not a number, negative, too large, or under a tick as milliseconds, which would read "00:00:00").
    /// </summary>
    private static string TimeSpanExamples(string value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double number)
            && number > 0 && number <= 1e9 && TimeSpan.FromMilliseconds(number) > TimeSpan.Zero
            ? $": \"{TimeSpan.FromMilliseconds(number).ToString("c", System.Globalization.CultureInfo.InvariantCulture)}\" for {value} ms, \"{TimeSpan.FromSeconds(number).ToString("c", System.Globalization.CultureInfo.InvariantCulture)}\" for {value} s"
            : ", such as \"00:00:30\" for 30 s";
}
