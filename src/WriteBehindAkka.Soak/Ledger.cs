namespace WriteBehindAkka.Soak;

/// <summary>
/// The latest acknowledged write of each key (sequence, version, whether it was poison, whether it deleted the key). Each key is written by
/// one producer only (producer = key mod producers), so a plain array is enough.
/// </summary>
internal sealed class Ledger(int keys, int producers)
{
    private readonly (long Seq, long Version, bool Poison, bool Deleted)[] _latest = new (long, long, bool, bool)[keys];
    private readonly long[] _perProducer = new long[producers];
    private long _sequence;
    private long _acknowledged;
    private long _poison;
    private long _deletes;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    public long PoisonWrites => Volatile.Read(ref _poison);

    public long Deletes => Volatile.Read(ref _deletes);

    public int Keys => _latest.Length;

    /// <summary>
    /// Acknowledged writes by producer. A producer whose keys are all pending writes at memory speed (every write
    /// merges into a waiting entry, every read-back is a hit) and can make most of a run's writes: these tell.
    /// </summary>
    public IEnumerable<long> AcknowledgedByProducer => _perProducer.Select((_, producer) => Interlocked.Read(ref _perProducer[producer]));

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Acknowledge(long key, long seq, long version, bool poison, bool deleted = false)
    {
        _latest[key] = (seq, version, poison, deleted);
        if (deleted)
        {
            Interlocked.Increment(ref _deletes);
        }

        Interlocked.Increment(ref _acknowledged);
        Interlocked.Increment(ref _perProducer[key % _perProducer.Length]);
        if (poison)
        {
            Interlocked.Increment(ref _poison);
        }
    }

    public (long Seq, long Version, bool Poison, bool Deleted) Latest(long key) => _latest[key];
}
