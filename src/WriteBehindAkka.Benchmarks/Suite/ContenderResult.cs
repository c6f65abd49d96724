using System.Text.Json.Serialization;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Reporting;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>A contender's runs on one workload and, per figure, the median and range over them.</summary>
internal sealed class ContenderResult
{
    public required string Name { get; init; }

    public required ContenderKind Kind { get; init; }

    public required string Description { get; init; }

    /// <summary>Why there are no figures ("not available: ..."), or null.</summary>
    public string? Unavailable { get; init; }

    public List<RunResult> Runs { get; } = [];

    public Dictionary<string, Spread> Summary => Figure.All.ToDictionary(f => f.Key, f => Spread.Of(Runs.Select(r => f.Read(r) ?? double.NaN)));

    public Spread Of(Figure figure) => Spread.Of(Runs.Select(r => figure.Read(r) ?? double.NaN));

    /// <summary>The run whose acknowledged writes/s (ceilings: rows/s) is the median one: its time series goes in the chart.</summary>
    [JsonIgnore]
    public RunResult? MedianRun
    {
        get
        {
            if (Runs.Count == 0)
            {
                return null;
            }

            var ordered = Runs.OrderBy(r => Kind == ContenderKind.Ceiling ? r.RowsPerSecond : r.WritesPerSecond).ToList();
            return ordered[(ordered.Count - 1) / 2];
        }
    }

    /// <summary>Whether every verified run passed (true when none is verified).</summary>
    public bool AllVerified => Kind == ContenderKind.Ceiling || Runs.All(r => r.Verified == true);
}
