using Microsoft.Extensions.Configuration;
using WriteBehindAkka.Hocon;

namespace WriteBehindAkka.Hosting.Configuration;

/// <summary>
/// A configuration key as the start-up problems name it: its path and, when its value came from a HOCON source, where
/// that value was written, so that an operator with several included files need not search for it.
/// </summary>
/// <param name="Path">The key's full path, for example <c>WriteBehind:Caches:scores:ReadThrough</c>.</param>
/// <param name="Position">Where the HOCON source wrote the value; <see langword="null"/> for any other source.</param>
internal readonly record struct ConfigurationKey(string Path, HoconPosition? Position)
{
    /// <summary>
    /// The key of <paramref name="path"/>, with the position of its value when the provider that supplies it is a HOCON
    /// provider. The provider added last wins, so it is the last of <see cref="IConfigurationRoot.Providers"/> with a
    /// value at the key (a JSON file or environment variable added after the HOCON file hides the HOCON's value, and its
    /// position); for a section, which has no value, the last with keys below it.
    /// </summary>
    /// <param name="path">The key's full path.</param>
    /// <param name="configuration">The configuration the key was read from; its positions are found only if it is an <see cref="IConfigurationRoot"/>.</param>
    /// <returns>The key.</returns>
    public static ConfigurationKey Of(string path, IConfiguration? configuration) =>
        new(path, configuration is IConfigurationRoot root ? PositionOf(root, path) : null);

    /// <summary>The key as messages quote it: <c>'WriteBehind:Caches:scores:ReadThrough' (hocon/app.conf(12,7))</c>, or without the position.</summary>
    /// <returns>The quoted path and the position, if any.</returns>
    public override string ToString() => Position is { } position ? $"'{Path}' ({position})" : $"'{Path}'";

    private static HoconPosition? PositionOf(IConfigurationRoot root, string path)
    {
        var providers = root.Providers.Reverse().ToList();
        var supplier = providers.FirstOrDefault(provider => provider.TryGet(path, out _))
            ?? providers.FirstOrDefault(provider => provider.GetChildKeys([], path).Any());
        return supplier switch
        {
            IHoconConfigurationProvider hocon when hocon.TryGetPosition(path, out var position) => position,

            // AddConfiguration(other): the value is the other configuration's, from its own providers.
            ChainedConfigurationProvider { Configuration: IConfigurationRoot chained } => PositionOf(chained, path),
            _ => null,
        };
    }
}
