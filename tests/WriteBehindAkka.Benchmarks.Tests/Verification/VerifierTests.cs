using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Benchmarks.Tests.Verification;

/// <summary>The verification step against the test kit's in-memory store, written through a real cache.</summary>
public class VerifierTests
{
    private const int Keys = 50;

    [Fact]
    public async Task Verify_EveryWriteFlushed_Passes()
    {
        var (ledger, table) = await WriteAndSnapshotAsync();

        var result = Verifier.Verify(ledger, table);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(Keys, result.CheckedKeys);
    }

    [Fact]
    public async Task Verify_RowMissing_FailsWithMissing()
    {
        var (ledger, table) = await WriteAndSnapshotAsync();
        table.Remove(7);

        var result = Verifier.Verify(ledger, table);

        Assert.False(result.Passed);
        Assert.Equal((1L, 0L, 0L, 0L), (result.Missing, result.Stale, result.WrongValue, result.Ahead));
        Assert.Contains("key 7", result.Examples[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RowAtOlderVersion_FailsWithStale()
    {
        var (ledger, table) = await WriteAndSnapshotAsync();
        table.TryGet(9, out long version, out long stamp);
        table.Add(9, version - 1, stamp);

        var result = Verifier.Verify(ledger, table);

        Assert.False(result.Passed);
        Assert.Equal((0L, 1L, 0L, 0L), (result.Missing, result.Stale, result.WrongValue, result.Ahead));
    }

    [Fact]
    public async Task Verify_RowWithAnotherValueAtTheVersion_FailsWithWrongValue()
    {
        var (ledger, table) = await WriteAndSnapshotAsync();
        table.TryGet(3, out long version, out long stamp);
        table.Add(3, version, stamp + 1);

        var result = Verifier.Verify(ledger, table);

        Assert.Equal(1, result.WrongValue);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task Verify_RowNobodyAcknowledged_FailsWithAhead()
    {
        var (ledger, table) = await WriteAndSnapshotAsync(keysWritten: Keys - 1);
        table.Add(Keys - 1, 123, 456);

        var result = Verifier.Verify(ledger, table);

        Assert.Equal(1, result.Ahead);
        Assert.False(result.Passed);
    }

    [Fact]
    public void Verify_NothingAcknowledged_FailsInsteadOfPassingOnAnEmptyLedger()
    {
        var result = Verifier.Verify(new AckLedger(Keys), new TableSnapshot(Keys));

        Assert.False(result.Passed);
        Assert.Equal("FAILED: no acknowledged write was recorded, so nothing could be checked", result.ToString());
    }

    [Fact]
    public async Task Verify_RowOfAKeyOutsideTheWorkload_Fails()
    {
        var (ledger, table) = await WriteAndSnapshotAsync();
        table.Add(Keys + 5, 123, 456);

        var result = Verifier.Verify(ledger, table);

        Assert.False(result.Passed);
        Assert.Equal(1, result.ForeignRows);
        Assert.Contains("1 rows of keys outside the workload", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_StoreStillPaused_FailsWithEveryKeyMissing()
    {
        var store = new InMemoryStore<long>();
        store.Pause();
        await using var cache = new WriteBehindCache<long, byte[]>(store, serializer: ByteArraySerializer.Instance, name: "verify-paused");
        var ledger = new AckLedger(Keys);
        await WriteAsync(cache, ledger, Keys);

        var result = Verifier.Verify(ledger, Snapshot(store));
        store.Resume();

        Assert.Equal(Keys, result.Missing);
    }

    private static async Task<(AckLedger Ledger, TableSnapshot Table)> WriteAndSnapshotAsync(int keysWritten = Keys)
    {
        var store = new InMemoryStore<long>();
        await using var cache = new WriteBehindCache<long, byte[]>(store, serializer: ByteArraySerializer.Instance, name: "verify-" + Guid.NewGuid().ToString("N"));
        var ledger = new AckLedger(Keys);
        await WriteAsync(cache, ledger, keysWritten);
        var flushed = await cache.FlushAsync();
        Assert.True(flushed.AllCommitted);
        return (ledger, Snapshot(store));
    }

    private static async Task WriteAsync(WriteBehindCache<long, byte[]> cache, AckLedger ledger, int keys)
    {
        var buffer = new byte[100];
        long sequence = 0;
        for (int round = 0; round < 3; round++)
        {
            for (long key = 0; key < keys; key++)
            {
                long stamp = ValueStamp.Make(0, ++sequence);
                ValueStamp.Write(buffer, stamp);
                var result = await cache.SetAsync(key, buffer, WriteConsistency.Accepted);
                ledger.Acknowledge(key, result.Version, stamp);
            }
        }
    }

    private static TableSnapshot Snapshot(InMemoryStore<long> store)
    {
        var table = new TableSnapshot(Keys);
        foreach (var (key, row) in store.Rows)
        {
            table.Add(key, row.Version, ValueStamp.Read(row.Value));
        }

        return table;
    }
}
