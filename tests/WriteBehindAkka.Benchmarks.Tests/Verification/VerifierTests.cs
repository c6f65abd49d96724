using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
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

    [Fact]
    public async Task Verify_StoreThatSilentlyDropsEveryWriteOfOneKey_FailsWithThatKeyMissing()
    {
        // The store reports success for a batch but leaves out key 7: the cache acknowledged and "committed" it.
        var store = new LossyStore(new InMemoryStore<long>()) { Dropping = 7 };
        await using var cache = new WriteBehindCache<long, byte[]>(store, serializer: ByteArraySerializer.Instance, name: "verify-lossy-" + Guid.NewGuid().ToString("N"));
        var ledger = new AckLedger(Keys);
        await WriteAsync(cache, ledger, Keys);
        Assert.True((await cache.FlushAsync()).AllCommitted);

        var result = Verifier.Verify(ledger, Snapshot(store.Inner));

        Assert.False(result.Passed);
        Assert.Equal((1L, 0L, 0L, 0L), (result.Missing, result.Stale, result.WrongValue, result.Ahead));
        Assert.StartsWith("FAILED on 50 keys: 1 missing, 0 stale", result.ToString(), StringComparison.Ordinal);
        Assert.Contains("key 7 acknowledged at version", result.ToString(), StringComparison.Ordinal);
        Assert.True(store.Dropped > 0);

        // ... and the suite fails on it: the run's line, the table's warning and exit code 2.
        var run = new RunResult { Repetition = 1, Verified = result.Passed, Verification = result.ToString() };
        var failure = SuiteRunner.VerificationFailure("uniform-1M-100B", "write-behind (default)", ContenderKind.WriteBehind, 1, run);
        Assert.NotNull(failure);
        Assert.StartsWith("uniform-1M-100B / write-behind (default) rep 1: FAILED on 50 keys: 1 missing", failure, StringComparison.Ordinal);
        var suite = WriteBehindAkka.Benchmarks.Tests.Reporting.SampleResults.Create();
        Assert.Equal(0, StandardSuite.ExitCode(suite));
        suite.VerificationFailures.Add(failure);
        Assert.Equal(2, StandardSuite.ExitCode(suite));
        Assert.Contains("VERIFICATION FAILED:", WriteBehindAkka.Benchmarks.Reporting.TableWriter.Render(suite), StringComparison.Ordinal);
    }

    [Fact]
    public void VerificationFailure_PassedRunOrCeiling_IsNone_UncheckedWriteRunFails()
    {
        var passed = new RunResult { Repetition = 1, Verified = true, Verification = "verified" };
        var notChecked = new RunResult { Repetition = 1 };

        Assert.Null(SuiteRunner.VerificationFailure("w", "write-through", ContenderKind.WriteThrough, 1, passed));
        Assert.Null(SuiteRunner.VerificationFailure("w", "ceiling: COPY (no index)", ContenderKind.Ceiling, 1, notChecked));
        Assert.Equal("w / write-behind, backlog drain rep 2: not verified", SuiteRunner.VerificationFailure("w", "write-behind, backlog drain", ContenderKind.Drain, 2, notChecked));
    }

    [Fact]
    public async Task Verify_StoreThatDropsTheLatestWriteOfOneKey_FailsWithThatKeyStale()
    {
        var store = new LossyStore(new InMemoryStore<long>());
        await using var cache = new WriteBehindCache<long, byte[]>(store, serializer: ByteArraySerializer.Instance, name: "verify-stale-" + Guid.NewGuid().ToString("N"));
        var ledger = new AckLedger(Keys);
        await WriteAsync(cache, ledger, Keys);
        Assert.True((await cache.FlushAsync()).AllCommitted);
        store.Dropping = 9; // from now on: the row of key 9 keeps the version written above
        await WriteAsync(cache, ledger, Keys);
        Assert.True((await cache.FlushAsync()).AllCommitted);

        var result = Verifier.Verify(ledger, Snapshot(store.Inner));

        Assert.False(result.Passed);
        Assert.Equal((0L, 1L, 0L, 0L), (result.Missing, result.Stale, result.WrongValue, result.Ahead));
        Assert.Contains("key 9 is at version", result.ToString(), StringComparison.Ordinal);
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

    /// <summary>A store that loses every write of one key while reporting the batch as committed.</summary>
    private sealed class LossyStore(InMemoryStore<long> inner) : WriteBehindAkka.Storage.IWriteBehindStore<long>
    {
        private readonly WriteBehindAkka.Storage.IWriteBehindStore<long> _store = inner;
        private int _dropped;

        public InMemoryStore<long> Inner => inner;

        public long? Dropping { get; set; }

        public int Dropped => Volatile.Read(ref _dropped);

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteBehindAkka.Storage.WriteRecord<long>> batch, CancellationToken cancellationToken)
        {
            var kept = batch.Where(r => r.Key != Dropping).ToList();
            Interlocked.Add(ref _dropped, batch.Count - kept.Count);
            return kept.Count == 0 ? ValueTask.CompletedTask : _store.WriteBatchAsync(kept, cancellationToken);
        }

        public ValueTask<WriteBehindAkka.Storage.StoredEntry?> LoadAsync(long key, CancellationToken cancellationToken) => _store.LoadAsync(key, cancellationToken);

        public ValueTask<IReadOnlyList<WriteBehindAkka.Storage.StoredEntry?>> LoadManyAsync(IReadOnlyList<long> keys, CancellationToken cancellationToken) => _store.LoadManyAsync(keys, cancellationToken);

        public ValueTask<long?> LoadVersionAsync(long key, CancellationToken cancellationToken) => _store.LoadVersionAsync(key, cancellationToken);

        public WriteBehindAkka.Storage.StoreErrorKind Classify(Exception error) => _store.Classify(error);

        public string? GetErrorCode(Exception error) => _store.GetErrorCode(error);

        public bool IsTimeout(Exception error) => _store.IsTimeout(error);

        public string? GetKeyError(long key) => _store.GetKeyError(key);

        public WriteBehindAkka.Storage.IDeadLetterStore<long>? DeadLetters => _store.DeadLetters;
    }
}
