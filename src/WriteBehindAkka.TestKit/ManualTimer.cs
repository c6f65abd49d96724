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

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        _owner.Arm(this, dueTime, period);
        return true;
    }

    public void Fire() => _callback(_state);

    public void Dispose() => _owner.Remove(this);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
