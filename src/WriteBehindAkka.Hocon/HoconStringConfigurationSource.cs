using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon;

/// <summary>HOCON text held in memory as a configuration source; see <see cref="HoconConfigurationExtensions.AddHoconString"/>.</summary>
internal sealed class HoconStringConfigurationSource(string text) : IConfigurationSource
{
    /// <summary>The HOCON text.</summary>
    public string Text { get; } = text;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconStringConfigurationProvider(Text);
}
