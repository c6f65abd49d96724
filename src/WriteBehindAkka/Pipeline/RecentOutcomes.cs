using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>
/// What one writer lane's records came to over the last <see cref="Window"/>: how many were committed and how many
/// failed for good (refused by the store for their data, or given up on when their restart budget ran out), and
/// the last failure. Health reads it to tell a store that refuses most writes, each dead-lettered one by one while
/// the store answers at once, from one that refuses a stray record now and then.
/// </summary>
/// <remarks>
/// Counted in <see cref="Buckets"/> buckets of a sixth of the window each, on the cache's clock, so the window slides
/// by whole buckets and a test on a manual clock sees exactly what it wrote. The lane's loop writes; health reads
/// from any thread, under a lock held for a few additions.
/// </remarks>
internal sealed class RecentOutcomes
{
    /// <summary>How far back the counts reach: the last minute (between five and six sixths of it, by bucket).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The buckets of the window.</summary>
    private const int Buckets = 6;

    private static readonly long BucketTicks = Window.Ticks / Buckets;

    private readonly TimeProvider _time;

    /// <summary>The timestamp bucket numbers count from.</summary>
    private readonly long _origin;

    private readonly Lock _gate = new();

    /// <summary>The bucket number each slot counts now; -1 when it has counted none yet.</summary>
    private readonly long[] _numbers = [-1, -1, -1, -1, -1, -1];

    private readonly long[] _committed = new long[Buckets];

    private readonly long[] _failed = new long[Buckets];

    private RecentFailure? _last;

    /// <summary>Creates empty counts.</summary>
    /// <param name="time">The cache's clock.</param>
    public RecentOutcomes(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
    }

    /// <summary>Records that <paramref name="count"/> records were committed.</summary>
    /// <param name="count">How many.</param>
    public void Committed(int count)
    {
        lock (_gate)
        {
            _committed[Slot()] += count;
        }
    }

    /// <summary>Records that <paramref name="count"/> records failed for good with <paramref name="error"/>.</summary>
    /// <param name="count">How many.</param>
    /// <param name="kind">How the store classified the error.</param>
    /// <param name="error">The error.</param>
    /// <param name="errorCode">The store's code for it (the SQLSTATE), if any.</param>
    public void Failed(int count, StoreErrorKind kind, Exception error, string? errorCode)
    {
        lock (_gate)
        {
            _failed[Slot()] += count;
            _last = new RecentFailure(kind, error.Message, errorCode, _time.GetTimestamp());
        }
    }

    /// <summary>Reads the counts of the window.</summary>
    /// <returns>The records committed and failed within it, and the last failure (null when none failed within it).</returns>
    public (long Committed, long Failed, RecentFailure? Last) Read()
    {
        lock (_gate)
        {
            long now = Number();
            long committed = 0, failed = 0;
            for (int i = 0; i < Buckets; i++)
            {
                if (_numbers[i] > now - Buckets)
                {
                    committed += _committed[i];
                    failed += _failed[i];
                }
            }

            return (committed, failed, failed > 0 ? _last : null);
        }
    }

    /// <summary>The bucket number of now.</summary>
    private long Number() => _time.GetElapsedTime(_origin).Ticks / BucketTicks;

    /// <summary>The slot of now, emptied first when it last counted an older bucket (one that left the window).</summary>
    private int Slot()
    {
        long number = Number();
        int slot = (int)(number % Buckets);
        if (_numbers[slot] != number)
        {
            _numbers[slot] = number;
            _committed[slot] = 0;
            _failed[slot] = 0;
        }

        return slot;
    }
}
