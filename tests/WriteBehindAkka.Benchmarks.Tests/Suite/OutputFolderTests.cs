using WriteBehindAkka.Benchmarks.Cli;
using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Tests.Suite;

/// <summary>The output folder is checked before anything starts: an earlier run's results are not replaced unasked.</summary>
public sealed class OutputFolderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wb-bench-out-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Check_NewOrEmptyFolder_IsFine()
    {
        Assert.Null(StandardSuite.CheckOutput(_folder, overwrite: false));
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "notes.txt"), "mine");
        Assert.Null(StandardSuite.CheckOutput(_folder, overwrite: false));
    }

    [Fact]
    public void Check_FolderWithAnEarlierRunsResults_IsRefusedNamingTheFilesAndTheWayOut()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "results.json"), "{}");
        File.WriteAllText(Path.Combine(_folder, "chart.svg"), "<svg/>");

        var problem = StandardSuite.CheckOutput(_folder, overwrite: false);

        Assert.NotNull(problem);
        Assert.Contains("results.json, chart.svg", problem, StringComparison.Ordinal);
        Assert.Contains(_folder, problem, StringComparison.Ordinal);
        Assert.Contains("--overwrite", problem, StringComparison.Ordinal);
        Assert.Null(StandardSuite.CheckOutput(_folder, overwrite: true));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(_folder, "results.json")));
    }

    [Fact]
    public void Check_PathOfAFile_IsRefusedEvenWithOverwrite()
    {
        Directory.CreateDirectory(_folder);
        string file = Path.Combine(_folder, "results");
        File.WriteAllText(file, "x");

        Assert.Equal($"--out: {file} is a file, not a folder: name a folder for results.json, chart.svg and results.md.", StandardSuite.CheckOutput(file, overwrite: true));
    }

    [Fact]
    public void Parse_Overwrite_IsKept()
    {
        var now = DateTimeOffset.UnixEpoch;

        Assert.False(SuiteCommandLine.Parse([], now).Overwrite);
        Assert.True(SuiteCommandLine.Parse(["--out", "x", "--overwrite"], now).Overwrite);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
