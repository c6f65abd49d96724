namespace WriteBehindAkka.Soak;

/// <summary>
/// The latest acknowledged write of each key (sequence, version, whether it was poison). Each key is written by
/// one producer only, so a plain array is enough.
/// </summary>
internal sealed class Ledger(int keys)
{
    private readonly (long Seq, long Version, bool Poison)[] _latest = new (long, long, bool)[keys];
    private long _sequence;
    private long _acknowledged;
    private long _poison;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    public long PoisonWrites => Volatile.Read(ref _poison);

    public int Keys => _latest.Length;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Acknowledge(long key, long seq, long version, bool poison)
    {
        _latest[key] = (seq, version, poison);
        Interlocked.Increment(ref _acknowledged);
        if (poison)
        {
            Interlocked.Increment(ref _poison);
        }
    }

    public (long Seq, long Version, bool Poison) Latest(long key) => _latest[key];
}
