namespace WriteBehindAkka.TestKit;

/// <summary>A timer of <see cref="ManualTimeProvider"/>.</summary>
internal sealed class ManualTimer : ITimer
{
    private readonly ManualTimeProvider _owner;
    private readonly TimerCallback _callback;
    private readonly object? _state;

    public ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state)
    {
        _owner = owner;
        _callback = callback;
        _state = state;
    }

    /// <summary>The timestamp it fires at; <see cref="long.MaxValue"/> when disarmed. Guarded by the owner's lock.</summary>
    public long DueAt { get; set; } = long.MaxValue;

    /// <summary>The period in ticks; 0 for one-shot. Guarded by the owner's lock.</summary>
    public long PeriodTicks { get; set; }

    private volatile bool _disposed;

    /// <summary>Refuses what <see cref="Timer"/> refuses: a negative time other than infinite, or more than about 49.7 days.</summary>
    /// <param name="dueTime">The due time.</param>
    /// <param name="period">The period.</param>
    public static void CheckTimes(TimeSpan dueTime, TimeSpan period)
    {
        const long MaxMilliseconds = uint.MaxValue - 1;
        long due = (long)dueTime.TotalMilliseconds, every = (long)period.TotalMilliseconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(due, -1, nameof(dueTime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(due, MaxMilliseconds, nameof(dueTime));
        ArgumentOutOfRangeException.ThrowIfLessThan(every, -1, nameof(period));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(every, MaxMilliseconds, nameof(period));
    }

    /// <summary>Re-arms the timer; false (and nothing armed) once it is disposed, as for a real timer.</summary>
    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        CheckTimes(dueTime, period);
        if (_disposed)
        {
            return false;
        }

        _owner.Arm(this, dueTime, period);
        return true;
    }

    public void Fire()
    {
        if (!_disposed)
        {
            _callback(_state);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _owner.Remove(this);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
