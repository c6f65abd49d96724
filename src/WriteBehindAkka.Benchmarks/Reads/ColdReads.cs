using System.Diagnostics;
using System.Globalization;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Reads;

/// <summary>
/// <c>reads</c>: cold reads of N random keys (repeats read once) through read-through, <c>GetManyAsync</c> (each shard's misses in one query)
/// against N concurrent <c>GetAsync</c> calls (one query each), alternating, each round on a new (empty) cache over
/// the same table of 100,000 rows of 100 bytes.
/// </summary>
internal static class ColdReads
{
    private const string Table = "bench_reads";
    private const int Rows = 100_000;
    private const int Rounds = 3;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await BenchDatabase.OpenAsync(sharedBuffers: "512MB", maxConnections: 200, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"database: {db.Origin}");
        await db.CreateTableAsync(Table, indexed: true, cancellationToken).ConfigureAwait(false);
        var serializer = ByteArraySerializer.Instance;
        var store = db.Store(Table);
        await using var storeScope = store.ConfigureAwait(false);
        var seed = new WriteBehindCache<long, byte[]>(store, new Options.WriteBehindOptions(), serializer);
        await using (seed.ConfigureAwait(false))
        {
            await seed.SetManyAsync(Enumerable.Range(0, Rows).Select(i => new KeyValuePair<long, byte[]>(i, new byte[100])), WriteConsistency.Committed, cancellationToken).ConfigureAwait(false);
        }

        var random = new Random(1);
        foreach (int count in new[] { 100, 1_000, 10_000 })
        {
            var many = new List<double>();
            var single = new List<double>();
            int distinct = 0;
            for (int round = 0; round < 2 * Rounds; round++)
            {
                var keys = Enumerable.Range(0, count).Select(_ => (long)random.Next(Rows)).Distinct().ToList();
                distinct += keys.Count;
                var cache = new WriteBehindCache<long, byte[]>(store, new Options.WriteBehindOptions(), serializer); // nothing cached
                await using (cache.ConfigureAwait(false))
                {
                    var clock = Stopwatch.StartNew();
                    int found = round % 2 == 0
                        ? (await cache.GetManyAsync(keys, cancellationToken).ConfigureAwait(false)).Count
                        : (await Task.WhenAll(keys.Select(key => cache.GetAsync(key, cancellationToken).AsTask())).ConfigureAwait(false)).Count(value => value is not null);
                    (round % 2 == 0 ? many : single).Add(clock.Elapsed.TotalMilliseconds);
                    if (found != keys.Count)
                    {
                        await Console.Error.WriteLineAsync($"FAILED: {keys.Count - found} of {keys.Count} stored keys were not read back.").ConfigureAwait(false);
                        return 2;
                    }
                }
            }

            many.Sort();
            single.Sort();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{count,6:N0} cold keys ({distinct / (2 * Rounds):N0} distinct): GetManyAsync {many[Rounds / 2]:0.0} ms ({many[0]:0.0}-{many[^1]:0.0}); {count:N0} concurrent GetAsync {single[Rounds / 2]:0.0} ms ({single[0]:0.0}-{single[^1]:0.0}); {single[Rounds / 2] / many[Rounds / 2]:0.0}x"));
        }

        return 0;
    }
}
