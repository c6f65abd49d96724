using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Tests.Measurement;

public class WindowedHistogramTests
{
    [Fact]
    public void Close_ReturnsOnlyWhatWasRecordedWhileTheWindowWasOpen()
    {
        var histogram = new WindowedHistogram();
        histogram.Record(5_000_000); // warm-up: before the window
        histogram.Open();
        histogram.Record(200_000);
        histogram.Record(300_000);
        var window = histogram.Close();
        histogram.Record(9_000_000); // drain: after the window

        Assert.Equal(2, window.Count);
        Assert.Equal(300_000, window.Max);
        Assert.Equal(200_000, window.Min);
    }

    [Fact]
    public void Open_Again_ForgetsThePreviousWindow()
    {
        var histogram = new WindowedHistogram();
        histogram.Open();
        histogram.Record(1_000);
        histogram.Close();
        histogram.Open();

        Assert.Equal(0, histogram.Close().Count);
    }
}
