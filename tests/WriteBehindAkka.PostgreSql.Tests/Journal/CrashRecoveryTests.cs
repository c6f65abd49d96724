using System.Diagnostics;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;

namespace WriteBehindAkka.PostgreSql.Tests.Journal;

/// <summary>
/// A writer runs as a child process with the journal on and is killed with SIGKILL at random moments while it
/// writes; each restart replays the journal. Afterwards every write the child reported as acknowledged before a
/// kill must be in PostgreSQL at its latest value (or a later one), and every key whose latest acknowledged write
/// deleted it must have no row (or a later write's). A kill in the middle of an append leaves a torn tail, which
/// recovery reports and ignores. The child is the only process killed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashRecoveryTests(PostgresFixture db) : IDisposable
{
    private const int Keys = 300;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "wb-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, recursive: true);
        }
    }

    [Theory]
    [InlineData("Always", 20, false, 0)]
    [InlineData("EverySecond", 5, false, 0)]
    [InlineData("Always", 10, true, 0)] // the writes made 1 to 64 at a time by SetManyAsync: one fsync wait covers each call
    [InlineData("Always", 10, false, 7)] // one write in 7 a DeleteAsync (7: prime to the 300 keys, so every key is both written and deleted): an acknowledged delete is not lost, nor undone by a replayed older write
    public async Task KilledAtRandomMoments_EveryAcknowledgedWriteLandsAtItsLatestValue(string policy, int kills, bool bulk, int deleteEvery)
    {
        // The soak: WRITEBEHIND_CRASH_KILLS=500 runs that many kills per policy instead.
        if (int.TryParse(Environment.GetEnvironmentVariable("WRITEBEHIND_CRASH_KILLS"), out int soak) && soak > 0)
        {
            kills = soak;
        }

        var (lost, acknowledged, corrupt) = await RunKillsAsync(policy, kills, bulk ? "write-bulk" : "write", deleteEvery);

        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost or stale, e.g. {lost.FirstOrDefault()}");
        Assert.Equal(0, corrupt);
        Assert.True(acknowledged > 100, $"only {acknowledged} keys were acknowledged");
    }

    /// <summary>
    /// The control: the same kills without a journal, of a writer whose writes are all still in memory when it is
    /// killed (it holds them an hour before writing them), lose every acknowledged write, and the harness sees
    /// each loss.
    /// </summary>
    [Fact]
    public async Task KilledWithoutJournal_AcknowledgedWritesAreLost()
    {
        var (lost, acknowledged, _) = await RunKillsAsync("None", 3, "write", 0);

        Assert.True(acknowledged > 0, "no write was acknowledged");
        Assert.Equal(acknowledged, lost.Count);
    }

    private async Task<(List<string> Lost, int Acknowledged, long Corrupt)> RunKillsAsync(string policy, int kills, string mode, int deleteEvery)
    {
        var table = PostgresFixture.NewTableName("wb_crash");
        var acknowledged = new Dictionary<long, Ack>();

        // The write each kill may have caught in flight (issued, not acknowledged; with "write", one at a time), which
        // may have been journaled and replayed.
        var inFlight = new List<long>();
        var random = new Random(policy.Length);
        long first = 1;
        long corrupt = 0;
        for (int kill = 0; kill < kills; kill++)
        {
            using var child = StartChild(mode, table, policy, first, deleteEvery);
            var started = await ReadLineAsync(child);
            Assert.StartsWith("started ", started);
            corrupt += Field(started, "corrupt");
            int target = random.Next(20, 2_000);
            long highest = first;
            for (int acks = 0; acks < target; acks++)
            {
                highest = Math.Max(highest, Record(acknowledged, await ReadLineAsync(child)));
            }

            child.Kill();
            await child.WaitForExitAsync().WaitAsync(Within);

            // Acks printed before the kill landed in the pipe: they count too.
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                highest = Math.Max(highest, Record(acknowledged, line));
            }

            inFlight.Add(highest + 1);
            first = highest + 100_000;
        }

        using (var recover = StartChild("recover", table, policy, first, deleteEvery))
        {
            var line = await ReadLineAsync(recover);
            await recover.WaitForExitAsync().WaitAsync(Within);
            Assert.Equal(0, recover.ExitCode);
            Assert.StartsWith("recovered ", line);
            Assert.EndsWith("failed=0", line);
        }

        var rows = new Dictionary<long, long>();
        await using (var command = db.DataSource.CreateCommand($"SELECT key, value FROM \"{table}\""))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64(0)] = BitConverter.ToInt64(reader.GetFieldValue<byte[]>(1));
            }
        }

        var lost = new List<string>();
        foreach (var (key, ack) in acknowledged)
        {
            bool present = rows.TryGetValue(key, out long seq);
            if (ack.Deleted ? present && seq <= ack.Seq : present ? seq < ack.Seq : !DeletedInFlight(key, ack.Seq))
            {
                lost.Add($"key {key}: {(ack.Deleted ? "deleted" : "written")} at {ack.Seq}, {(present ? $"row holds write {seq}" : "no row")}");
            }
        }

        return (lost, acknowledged.Count, corrupt);

        // A row missing after an acknowledged set is right only if a later delete of the key was in flight at a kill.
        bool DeletedInFlight(long key, long after) =>
            deleteEvery > 0 && inFlight.Any(seq => seq > after && seq % Keys == key && seq % deleteEvery == 0);
    }

    private static long Field(string line, string name)
    {
        var part = line.Split(' ').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal));
        return long.Parse(part[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long Record(Dictionary<long, Ack> acknowledged, string line)
    {
        var parts = line.Split(' ');
        Assert.Contains(parts[0], new[] { "ack", "del" });
        long key = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        long seq = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        if (seq > acknowledged.GetValueOrDefault(key).Seq)
        {
            acknowledged[key] = new Ack(seq, Deleted: parts[0] == "del");
        }

        return seq;
    }

    private static async Task<string> ReadLineAsync(Process child)
    {
        using var budget = new CancellationTokenSource(Within);
        var line = await child.StandardOutput.ReadLineAsync(budget.Token);
        if (line is null)
        {
            throw new InvalidOperationException($"The crash writer exited early: {await child.StandardError.ReadToEndAsync()}");
        }

        return line;
    }

    private Process StartChild(string mode, string table, string policy, long first, int deleteEvery)
    {
        var writer = Path.Combine(AppContext.BaseDirectory, "WriteBehindAkka.CrashWriter.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { writer, mode, db.ConnectionString, table, _journal, policy, first.ToString(System.Globalization.CultureInfo.InvariantCulture), Keys.ToString(System.Globalization.CultureInfo.InvariantCulture), deleteEvery.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash writer.");
    }

    /// <summary>A key's latest acknowledged write: its sequence (the value written), and whether it deleted the key.</summary>
    private readonly record struct Ack(long Seq, bool Deleted);
}
