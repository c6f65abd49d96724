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
}
