using System.Buffers.Binary;
using WriteBehindAkka;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

// Usage: CrashWriter <write|write-bulk|recover> <connection string> <table> <journal folder> <Always|EverySecond|No|None> <first sequence> <keys> [delete every]
// (None: no journal at all, the control that shows what a crash loses without it: its writes wait an hour before
// they are written, so every acknowledged write is still in memory when the kill comes. Without that wait the
// control could see no loss: when the parent reads the acks slowly the pipe fills, this process blocks printing
// an ack, and the cache drains everything meanwhile.)
// write:   writes key = seq % keys, value = seq (8 bytes) for seq = first, first+1, ... and prints "ack <key> <seq>" after
//          each acknowledged write, until it is killed. It recovers the journal first, like any start. With [delete every]
//          N > 0, each seq divisible by N deletes its key instead (DeleteAsync) and prints "del <key> <seq>".
// write-bulk: the same, 1 to 64 writes at a time with one SetManyAsync, printing each write's ack once the call completed.
// recover: replays the journal, flushes it to PostgreSQL, prints "recovered <report>", and exits 0.
if (args.Length is not (7 or 8))
{
    Console.Error.WriteLine("usage: CrashWriter <write|write-bulk|recover> <connection string> <table> <journal folder> <Always|EverySecond|No> <first sequence> <keys> [delete every]");
    return 2;
}

string mode = args[0];
bool journaled = args[4] != "None";
var policy = journaled ? Enum.Parse<FsyncPolicy>(args[4]) : FsyncPolicy.Always;
long first = long.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture);
int keys = int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture);
int deleteEvery = args.Length == 8 ? int.Parse(args[7], System.Globalization.CultureInfo.InvariantCulture) : 0;
// The suite runs this child many times while other tests load the machine: a connection that takes longer than
// Npgsql's default 15 s to open would fail the start before any write, which proves nothing about the journal.
var connection = new Npgsql.NpgsqlConnectionStringBuilder(args[1]);
connection.Timeout = Math.Max(connection.Timeout, 60);
await using var store = new PostgreSqlStore<long, byte[]>(
    new PostgreSqlStoreOptions { ConnectionString = connection.ConnectionString, Table = args[2], CreateTableIfMissing = true },
    ByteArraySerializer.Instance);
await store.EnsureTableAsync();
var options = new WriteBehindOptions
{
    ShardCount = 2,
    Parallelism = 1,
    MaxBatchSize = 500,
    MaxBatchDelay = TimeSpan.FromMilliseconds(5),
    WriteDelay = journaled ? TimeSpan.Zero : TimeSpan.FromHours(1),
    Journal = !journaled ? null : new JournalOptions { Directory = args[3], FsyncPolicy = policy, SegmentBytes = 256 * 1024, MaxJournalBytes = 64L * 1024 * 1024 },
};
var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var report = cache.JournalRecovery;
if (mode == "recover")
{
    var flush = await cache.FlushAsync();
    await cache.ShutdownAsync();
    output.WriteLine($"recovered records={report.Records} keys={report.Keys} torn={report.TornTailBytes} corrupt={report.CorruptRegions} skipped={report.SkippedSegments} failed={flush.FailedWrites}");
    return 0;
}

output.WriteLine($"started records={report.Records} keys={report.Keys} torn={report.TornTailBytes} corrupt={report.CorruptRegions}");
if (mode == "write-bulk")
{
    var random = new Random((int)first);
    for (long seq = first; ; )
    {
        var items = new KeyValuePair<long, byte[]>[random.Next(1, 65)];
        for (int i = 0; i < items.Length; i++, seq++)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, seq);
            items[i] = new(seq % keys, bytes);
        }

        await cache.SetManyAsync(items);
        foreach (var (key, bytes) in items)
        {
            output.WriteLine($"ack {key} {BinaryPrimitives.ReadInt64LittleEndian(bytes)}");
        }
    }
}

var value = new byte[8];
for (long seq = first; ; seq++)
{
    long key = seq % keys;
    if (deleteEvery > 0 && seq % deleteEvery == 0)
    {
        await cache.DeleteAsync(key);
        output.WriteLine($"del {key} {seq}");
        continue;
    }

    BinaryPrimitives.WriteInt64LittleEndian(value, seq);
    await cache.SetAsync(key, value);
    output.WriteLine($"ack {key} {seq}");
}
