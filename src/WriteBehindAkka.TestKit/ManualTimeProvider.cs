namespace WriteBehindAkka.TestKit;

/// <summary>
/// A <see cref="TimeProvider"/> that moves only when told (<see cref="Advance"/>), so timing tests are exact and
/// never sleep. Timers fire inside <see cref="Advance"/>, in due order, each with the clock set to its due time;
/// a timer armed with a due time of zero fires at once on the thread pool, as a real one does. Timers take the
/// arguments a real timer takes and refuse the others the same way.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _utcNow;
    /// <summary>Starts well above zero, so that code using 0 as "no timestamp" is not fooled.</summary>
    private long _timestamp = TimeSpan.TicksPerDay;

    /// <summary>Completed (and replaced) whenever a timer is armed, so a test can await "the system is now waiting on the clock".</summary>
    private TaskCompletionSource _timerArmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a clock at <paramref name="start"/>, or 2026-01-01T00:00:00Z.</summary>
    /// <param name="start">The starting instant.</param>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _utcNow = start?.ToUniversalTime() ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _utcNow;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _timestamp;
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>How many timers are armed now.</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.DueAt != long.MaxValue);
            }
        }
    }

    /// <summary>The time until the earliest armed timer fires, or <see langword="null"/> when none is armed.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            lock (_gate)
            {
                long next = _timers.Count == 0 ? long.MaxValue : _timers.Min(t => t.DueAt);
                return next == long.MaxValue ? null : TimeSpan.FromTicks(next - _timestamp);
            }
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ManualTimer.CheckTimes(dueTime, period);
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Moves the clock forward, firing every timer that falls due on the way. A callback may advance the clock
    /// further; the clock never goes back.
    /// </summary>
    /// <param name="delta">How far; zero fires the timers due now.</param>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _timestamp + delta.Ticks;
        }

        while (true)
        {
            ManualTimer? due = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt <= target && (due is null || timer.DueAt < due.DueAt))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    if (target > _timestamp)
                    {
                        _utcNow += TimeSpan.FromTicks(target - _timestamp);
                        _timestamp = target;
                    }

                    return;
                }

                if (due.DueAt > _timestamp)
                {
                    _utcNow += TimeSpan.FromTicks(due.DueAt - _timestamp);
                    _timestamp = due.DueAt;
                }

                due.DueAt = due.PeriodTicks > 0 ? _timestamp + due.PeriodTicks : long.MaxValue;
            }

            // Outside the lock: the callback may arm timers or read the clock.
            due.Fire();
        }
    }

    /// <summary>Waits (in real time, at most <paramref name="within"/>) until at least <paramref name="count"/> timers are armed.</summary>
    /// <param name="count">How many armed timers to wait for.</param>
    /// <param name="within">The real-time budget; the wait fails with <see cref="TimeoutException"/> past it.</param>
    /// <returns>A task that completes when the timers are armed.</returns>
    public Task WaitForArmedTimersAsync(int count, TimeSpan within) =>
        WaitForTimersAsync(() => ArmedTimers >= count, $"{count} armed timer(s)", within);

    /// <summary>
    /// Waits (in real time, at most <paramref name="within"/>) until a timer is armed to fire exactly
    /// <paramref name="due"/> from now: proof that the system under test is waiting on the clock for that long.
    /// </summary>
    /// <param name="due">The expected remaining time of some armed timer.</param>
    /// <param name="within">The real-time budget; the wait fails with <see cref="TimeoutException"/> past it.</param>
    /// <returns>A task that completes when such a timer is armed.</returns>
    public Task WaitForTimerDueInAsync(TimeSpan due, TimeSpan within) =>
        WaitForTimersAsync(() => DueTimes().Contains(due), $"a timer due in {due}", within);

    /// <summary>The remaining times of the armed timers, soonest first.</summary>
    /// <returns>The remaining times.</returns>
    public IReadOnlyList<TimeSpan> DueTimes()
    {
        lock (_gate)
        {
            return _timers.Where(t => t.DueAt != long.MaxValue).Select(t => TimeSpan.FromTicks(t.DueAt - _timestamp)).Order().ToList();
        }
    }

    private async Task WaitForTimersAsync(Func<bool> condition, string what, TimeSpan within)
    {
        using var budget = new CancellationTokenSource(within);
        while (true)
        {
            Task armed;
            lock (_gate)
            {
                armed = _timerArmed.Task;
            }

            if (condition())
            {
                return;
            }

            try
            {
                await armed.WaitAsync(budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {what} within {within}; armed timers are due in: {string.Join(", ", DueTimes())}.");
            }
        }
    }

    internal void Arm(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        TaskCompletionSource armed;
        bool dueNow = false;
        lock (_gate)
        {
            timer.PeriodTicks = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                timer.DueAt = long.MaxValue;
            }
            else if (dueTime <= TimeSpan.Zero)
            {
                // Like a real timer, one due now fires at once (on the thread pool, as a real one would).
                dueNow = true;
                timer.DueAt = timer.PeriodTicks > 0 ? _timestamp + timer.PeriodTicks : long.MaxValue;
            }
            else
            {
                timer.DueAt = _timestamp + dueTime.Ticks;
            }

            armed = _timerArmed;
            if (timer.DueAt != long.MaxValue)
            {
                _timerArmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (dueNow)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static t => t.Fire(), timer, preferLocal: false);
        }

        if (timer.DueAt != long.MaxValue)
        {
            armed.TrySetResult();
        }
    }

    internal void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }
}
