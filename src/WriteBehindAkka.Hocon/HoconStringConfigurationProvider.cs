using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon;

/// <summary>Loads HOCON text held in memory; errors are reported at <c>&lt;string&gt;(line,column)</c>.</summary>
internal sealed class HoconStringConfigurationProvider(string text) : ConfigurationProvider
{
    public override void Load() => Data = HoconConfigurationFlattener.Flatten(HoconParser.Parse(text));
}
