using System.Text.Json;
using WriteBehindAkka.Benchmarks.Reporting;

namespace WriteBehindAkka.Benchmarks.Tests.Reporting;

public class JsonReportWriterTests
{
    [Fact]
    public void Render_SuiteResult_IsValidJsonWithEveryRunAndSummary()
    {
        var json = JsonReportWriter.Render(SampleResults.Create());

        using var document = JsonDocument.Parse(json);
        var workload = document.RootElement.GetProperty("workloads")[0];
        var behind = workload.GetProperty("contenders").EnumerateArray().Single(c => c.GetProperty("name").GetString() == Targets.WriteBehind);
        Assert.Equal(2, behind.GetProperty("runs").GetArrayLength());
        Assert.Equal(450_000, behind.GetProperty("summary").GetProperty("writesPerSecond").GetProperty("median").GetDouble());
        Assert.Equal(3, behind.GetProperty("runs")[0].GetProperty("series").GetArrayLength());
        Assert.Equal("WriteBehind", behind.GetProperty("kind").GetString());
        Assert.True(document.RootElement.GetProperty("targets").GetArrayLength() > 0);
        Assert.Equal(192, document.RootElement.GetProperty("memory").GetProperty("overheadBytesPerEntry").GetDouble());
    }

    [Fact]
    public void Render_NaNFigures_AreWrittenAsNull()
    {
        var json = JsonReportWriter.Render(SampleResults.Create());

        using var document = JsonDocument.Parse(json);
        var run = document.RootElement.GetProperty("workloads")[0].GetProperty("contenders")[2].GetProperty("runs")[1];
        Assert.Equal(JsonValueKind.Null, run.GetProperty("lagP50Ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("serverCpuSecondsPerMillion").ValueKind);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SkippedJournalContender_SaysSoWithoutFigures()
    {
        var json = JsonReportWriter.Render(SampleResults.Create());

        using var document = JsonDocument.Parse(json);
        var journal = document.RootElement.GetProperty("workloads")[0].GetProperty("contenders")[3];
        Assert.Equal(SampleResults.JournalSkipped, journal.GetProperty("unavailable").GetString());
        Assert.Equal(0, journal.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public void Render_JournalContender_HasItsJournalFigures()
    {
        var json = JsonReportWriter.Render(SampleResults.Create(withJournal: true));

        using var document = JsonDocument.Parse(json);
        var wide = document.RootElement.GetProperty("workloads")[0].GetProperty("contenders").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == Targets.JournalAlways + ", 256 callers");
        var run = wide.GetProperty("runs")[0];
        Assert.Equal(256, run.GetProperty("callers").GetInt32());
        Assert.Equal(320, run.GetProperty("writesPerFsync").GetDouble());
        Assert.Equal(1_000, wide.GetProperty("summary").GetProperty("fsyncsPerSecond").GetProperty("median").GetDouble());
    }
}
