namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// The latest acknowledged write of each key: its sequence number (the value written), its version (from the
/// cache's answer) and whether it deleted the key. Each key is written by one producer only, so a plain array is
/// enough.
/// </summary>
internal sealed class AckLog(int keys)
{
    private readonly (long Seq, long Version, bool Deleted)[] _latest = new (long, long, bool)[keys];
    private long _sequence;
    private long _acknowledged;
    private long _deletes;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Acknowledged deletes.</summary>
    public long Deletes => Volatile.Read(ref _deletes);

    public int Keys => _latest.Length;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Acknowledge(long key, long seq, long version, bool deleted = false)
    {
        _latest[key] = (seq, version, deleted);
        Interlocked.Increment(ref _acknowledged);
        if (deleted)
        {
            Interlocked.Increment(ref _deletes);
        }
    }

    /// <summary>
    /// The expected table: a row for every key whose latest acknowledged write set it, with that write; none for a key
    /// never written or whose latest acknowledged write deleted it.
    /// </summary>
    public Dictionary<long, (long Seq, long Version)> Expected() =>
        _latest.Select((ack, key) => (Key: (long)key, Ack: ack))
            .Where(p => p.Ack.Seq != 0 && !p.Ack.Deleted)
            .ToDictionary(p => p.Key, p => (p.Ack.Seq, p.Ack.Version));

    /// <summary>The keys whose latest acknowledged write deleted them.</summary>
    public int DeletedKeys => _latest.Count(ack => ack.Deleted);
}
