using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace WriteBehindAkka.Hocon;

/// <summary>Adds HOCON sources to an <see cref="IConfigurationBuilder"/>.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>
    /// Adds a HOCON file. Relative paths are resolved against the builder's file provider (by default the
    /// application's base directory), like <c>AddJsonFile</c>; includes are relative to the including file.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The file path, for example <c>akka.conf</c>.</param>
    /// <param name="optional">Whether a missing file is allowed (it then adds no keys).</param>
    /// <param name="reloadOnChange">Whether to reload when the file changes.</param>
    /// <returns>The same builder.</returns>
    public static IConfigurationBuilder AddHoconFile(
        this IConfigurationBuilder builder, string path, bool optional = false, bool reloadOnChange = false) =>
        AddHoconFile(builder, provider: null, path, optional, reloadOnChange);

    /// <summary>Adds a HOCON file read through <paramref name="provider"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="provider">The file provider, or <see langword="null"/> to use the builder's.</param>
    /// <param name="path">The file path relative to <paramref name="provider"/>.</param>
    /// <param name="optional">Whether a missing file is allowed (it then adds no keys).</param>
    /// <param name="reloadOnChange">Whether to reload when the file changes.</param>
    /// <returns>The same builder.</returns>
    public static IConfigurationBuilder AddHoconFile(
        this IConfigurationBuilder builder, IFileProvider? provider, string path, bool optional, bool reloadOnChange)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("The HOCON file path must be a non-empty string, for example \"akka.conf\".", nameof(path));
        }

        return builder.AddHoconFile(source =>
        {
            source.FileProvider = provider;
            source.Path = path;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
            source.ResolveFileProvider();
        });
    }

    /// <summary>Adds a HOCON file configured by <paramref name="configureSource"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configureSource">Sets the source's path and options.</param>
    /// <returns>The same builder.</returns>
    public static IConfigurationBuilder AddHoconFile(
        this IConfigurationBuilder builder, Action<HoconConfigurationSource>? configureSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(configureSource);
    }

    /// <summary>
    /// Adds HOCON text held in memory. It is parsed when the configuration is built; errors name
    /// <c>&lt;string&gt;</c> with the line and column. Includes are read from disk, relative to the
    /// current directory.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="text">The HOCON text.</param>
    /// <returns>The same builder.</returns>
    public static IConfigurationBuilder AddHoconString(this IConfigurationBuilder builder, string text)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(text);
        return builder.Add(new HoconStringConfigurationSource(text));
    }
}
