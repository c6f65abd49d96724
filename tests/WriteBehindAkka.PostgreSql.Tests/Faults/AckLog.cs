namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// The latest acknowledged write of each key: its sequence number (the value written) and version (from the
/// cache's answer). Each key is written by one producer only, so a plain array is enough.
/// </summary>
internal sealed class AckLog(int keys)
{
    private readonly (long Seq, long Version)[] _latest = new (long, long)[keys];
    private long _sequence;
    private long _acknowledged;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    public int Keys => _latest.Length;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Acknowledge(long key, long seq, long version)
    {
        _latest[key] = (seq, version);
        Interlocked.Increment(ref _acknowledged);
    }

    /// <summary>The expected table: every key written at least once, with its latest acknowledged write.</summary>
    public Dictionary<long, (long Seq, long Version)> Expected() =>
        _latest.Select((ack, key) => (Key: (long)key, Ack: ack)).Where(p => p.Ack.Seq != 0).ToDictionary(p => p.Key, p => p.Ack);
}
