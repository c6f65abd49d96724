using System.Xml.Linq;
using WriteBehindAkka.Benchmarks.Reporting;

namespace WriteBehindAkka.Benchmarks.Tests.Reporting;

public class SvgChartWriterTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Render_SuiteResult_IsWellFormedSvgWithALinePerSeries()
    {
        var document = XDocument.Parse(SvgChartWriter.Render(SampleResults.Create()));

        Assert.Equal(Svg + "svg", document.Root!.Name);
        var paths = document.Descendants(Svg + "path").ToList();
        // Throughput: ceiling rows, write-through writes+rows, write-behind writes+rows; lag: p50+max; backlog: 1.
        Assert.Equal(8, paths.Count);
        Assert.All(paths, p => Assert.StartsWith("M", p.Attribute("d")!.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void Render_BacklogDrain_IsLeftToTheTables()
    {
        var svg = SvgChartWriter.Render(SampleResults.Create(drainSeconds: 2));

        Assert.Equal(8, XDocument.Parse(svg).Descendants(Svg + "path").Count());
        Assert.DoesNotContain("backlog drain", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SuiteResult_IsSelfContained()
    {
        var svg = SvgChartWriter.Render(SampleResults.Create());

        var document = XDocument.Parse(svg);
        Assert.Empty(document.Descendants(Svg + "script"));
        Assert.Empty(document.Descendants(Svg + "image"));
        Assert.DoesNotContain("href", svg, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(svg, "https?://"));
    }

    [Fact]
    public void Render_NamesWithMarkup_AreEscaped()
    {
        var svg = SvgChartWriter.Render(SampleResults.Create(workloadName: "a<b & \"c\""));

        var document = XDocument.Parse(svg);
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value.StartsWith("a<b & \"c\"", StringComparison.Ordinal));
    }

    public static TheoryData<string> EdgeSeries => ["empty", "one point", "all zero", "one value", "tiny lag", "NaN"];

    [Theory]
    [MemberData(nameof(EdgeSeries))]
    public void Render_EmptyOrOnePointOrFlatSeries_IsWellFormedWithFiniteCoordinates(string shape)
    {
        var result = SampleResults.Create();
        foreach (var contender in result.Workloads[0].Contenders)
        {
            var runs = contender.Runs.Select(r => r with
            {
                Series = shape switch
                {
                    "empty" => [],
                    "one point" => [new WriteBehindAkka.Benchmarks.Measurement.TimeSample(0.1, 5_000, 4_000, 10, 2, 3, 1)],
                    "all zero" => [.. r.Series.Select(p => p with { WritesPerSecond = 0, RowsPerSecond = 0, Backlog = 0, LagP50Ms = 0, LagMaxMs = 0 })],
                    "one value" => [.. r.Series.Select(p => p with { WritesPerSecond = 1000, RowsPerSecond = 1000, Backlog = 7, LagP50Ms = 10, LagMaxMs = 10 })],
                    "tiny lag" => [.. r.Series.Select(p => p with { LagP50Ms = 0.00002, LagMaxMs = 0.00004 })],
                    _ => [.. r.Series.Select(p => p with { WritesPerSecond = double.NaN, RowsPerSecond = double.PositiveInfinity, LagP50Ms = double.NaN })],
                },
            }).ToList();
            contender.Runs.Clear();
            contender.Runs.AddRange(runs);
        }

        var svg = SvgChartWriter.Render(result);

        var document = XDocument.Parse(svg);
        Assert.DoesNotContain("NaN", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("∞", svg, StringComparison.Ordinal);
        foreach (var element in document.Descendants().Where(e => e.Name == Svg + "line" || e.Name == Svg + "text" || e.Name == Svg + "rect"))
        {
            foreach (var attribute in element.Attributes().Where(a => a.Name.LocalName is "x" or "y" or "x1" or "x2" or "y1" or "y2" or "width" or "height"))
            {
                Assert.True(double.TryParse(attribute.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && double.IsFinite(v), $"{element.Name.LocalName} {attribute.Name}={attribute.Value}");
            }
        }

        // Each panel's y-axis labels are distinct: a flat or tiny series still gets a readable scale.
        foreach (var panel in document.Descendants(Svg + "g"))
        {
            var labels = panel.Elements(Svg + "text").Where(t => (string?)t.Attribute("text-anchor") == "end").Select(t => t.Value).ToList();
            Assert.Equal(labels.Count, labels.Distinct().Count());
        }
    }
}
