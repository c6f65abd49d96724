using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon;

/// <summary>Loads HOCON text held in memory; errors and positions are reported at <c>&lt;string&gt;(line,column)</c>.</summary>
internal sealed class HoconStringConfigurationProvider(string text) : ConfigurationProvider, IHoconConfigurationProvider
{
    private volatile HoconPositionIndex? _positions;

    public override void Load()
    {
        var (data, positions) = HoconPositionIndex.Flatten(HoconParser.Parse(text));
        _positions = positions;
        Data = data;
    }

    public bool TryGetPosition(string key, out HoconPosition position) => HoconPositionIndex.Find(_positions, Data, key, out position);
}
