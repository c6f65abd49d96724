namespace WriteBehindAkka.Soak;

/// <summary>
/// The latest acknowledged write of each key (sequence, version, whether it was poison). Each key is written by
/// one producer only (producer = key mod producers), so a plain array is enough.
/// </summary>
internal sealed class Ledger(int keys, int producers)
{
    private readonly (long Seq, long Version, bool Poison)[] _latest = new (long, long, bool)[keys];
    private readonly long[] _perProducer = new long[producers];
    private long _sequence;
    private long _acknowledged;
    private long _poison;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    public long PoisonWrites => Volatile.Read(ref _poison);

    public int Keys => _latest.Length;

    /// <summary>
    /// Acknowledged writes by producer. A producer whose keys are all pending writes at memory speed (every write
    /// merges into a waiting entry, every read-back is a hit) and can make most of a run's writes: these tell.
    /// </summary>
    public IEnumerable<long> AcknowledgedByProducer => _perProducer.Select((_, producer) => Interlocked.Read(ref _perProducer[producer]));

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Acknowledge(long key, long seq, long version, bool poison)
    {
        _latest[key] = (seq, version, poison);
        Interlocked.Increment(ref _acknowledged);
        Interlocked.Increment(ref _perProducer[key % _perProducer.Length]);
        if (poison)
        {
            Interlocked.Increment(ref _poison);
        }
    }

    public (long Seq, long Version, bool Poison) Latest(long key) => _latest[key];
}
