using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// Fills a cache's backlog for <see cref="BacklogDrainContender"/>: concurrent callers write the workload's keys (its
/// reads skipped) until the cache holds the target of pending entries or three quarters of its bound of pending bytes,
/// or the streams have drawn their most writes. A fill writes each key at most once: while the store holds batches
/// back, a key written again would hold two versions, the one in a batch the pipeline already formed and the latest,
/// and the drain would commit both, rows the backlog does not count and that a drain after the callers stop never
/// writes. The callers' key streams go on from one fill to the next, as a ceiling's writers' streams go on through
/// its run, so a later fill writes a mix of keys the table has and keys it has not.
/// </summary>
internal sealed class BacklogFill
{
    /// <summary>How often (in writes per caller) a caller looks at the backlog, at most.</summary>
    private const int CheckEvery = 256;

    private readonly WorkloadSpec _workload;
    private readonly AckLedger _ledger;
    private readonly KeyStream[] _streams;
    private readonly byte[][] _buffers;
    private readonly long[] _sequences;

    /// <param name="workload">The keys and values written.</param>
    /// <param name="zipf">The workload's sampler when it is Zipf.</param>
    /// <param name="seedFor">Each caller's seed.</param>
    /// <param name="callers">How many callers write at once.</param>
    /// <param name="ledger">Where each acknowledged write goes, for the verification.</param>
    public BacklogFill(WorkloadSpec workload, ZipfSampler? zipf, Func<int, ulong> seedFor, int callers, AckLedger ledger)
    {
        _workload = workload;
        _ledger = ledger;
        _streams = new KeyStream[callers];
        _buffers = new byte[callers][];
        for (int caller = 0; caller < callers; caller++)
        {
            _streams[caller] = new KeyStream(workload, zipf, seedFor(caller));
            _buffers[caller] = ValueStamp.NewBuffer(workload.ValueBytes, _streams[caller].Random);
        }

        _sequences = new long[callers]; // kept across fills: a caller's stamps only grow
    }

    /// <summary>
    /// Writes until <paramref name="cache"/> holds <paramref name="target"/> pending entries or three quarters of
    /// its <c>MaxPendingBytes</c> (<paramref name="options"/> are the cache's); a workload with fewer distinct keys
    /// than the target (Zipf) ends after <c>max(target, 3 x min(target, keys))</c> writes drawn. Returns the writes
    /// made (one per key).
    /// </summary>
    public async Task<long> FillAsync(WriteBehindCache<long, byte[]> cache, long target, WriteBehindOptions options, CancellationToken cancellationToken)
    {
        long maxDraws = Math.Max(target, 3 * Math.Min(target, _workload.KeyCount));
        long maxPendingBytes = options.MaxPendingBytes;
        int checkEvery = CheckInterval(target, _workload.ValueBytes, _sequences.Length, options);
        long written = 0, drawn = 0;
        bool full = false;
        var claimed = new long[(_workload.KeyCount + 63) / 64];

        async Task Caller(int caller)
        {
            var stream = _streams[caller];
            var buffer = _buffers[caller];
            int sinceCheck = 0;
            while (!Volatile.Read(ref full))
            {
                long key = stream.NextKey();
                if (stream.NextIsRead())
                {
                    continue;
                }

                if (Interlocked.Increment(ref drawn) >= maxDraws)
                {
                    Volatile.Write(ref full, true);
                }

                long bit = 1L << (int)(key & 63);
                if ((Interlocked.Or(ref claimed[key >> 6], bit) & bit) != 0)
                {
                    continue; // written in this fill already
                }

                long stamp = ValueStamp.Make(caller, ++_sequences[caller]);
                ValueStamp.Write(buffer, stamp);
                var result = await cache.SetAsync(key, buffer, WriteConsistency.Accepted, cancellationToken).ConfigureAwait(false);
                _ledger.Acknowledge(key, result.Version, stamp);
                Interlocked.Increment(ref written);
                if (++sinceCheck >= checkEvery)
                {
                    sinceCheck = 0;
                    var statistics = cache.GetStatistics();
                    if (statistics.PendingEntries >= target || statistics.PendingBytes >= maxPendingBytes * 3 / 4)
                    {
                        Volatile.Write(ref full, true);
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _sequences.Length).Select(c => Task.Run(() => Caller(c)))).ConfigureAwait(false);
        return Volatile.Read(ref written);
    }

    /// <summary>
    /// How many writes a caller makes between two looks at the backlog: <see cref="CheckEvery"/>, or fewer, so that
    /// the writes all callers make after the backlog reached the target (each up to this many before it looks) stay
    /// under the cache's bounds. A write over a bound would wait for commits that the closed gate holds back, and the
    /// fill would never end.
    /// </summary>
    public static int CheckInterval(long target, int valueBytes, int callers, WriteBehindOptions options)
    {
        long entries = options.MaxPendingEntries - target - 1;
        long bytes = (options.MaxPendingBytes - (options.MaxPendingBytes * 3 / 4) - 1) / Math.Max(1, valueBytes);
        return (int)Math.Clamp(Math.Min(entries, bytes) / Math.Max(1, callers), 1, CheckEvery);
    }
}
