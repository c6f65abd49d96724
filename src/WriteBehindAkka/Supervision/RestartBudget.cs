using WriteBehindAkka.Options;

namespace WriteBehindAkka.Supervision;

/// <summary>Counts restarts within the sliding window of <see cref="RestartSettings.MaxRestartsWithin"/>.</summary>
internal sealed class RestartBudget
{
    private readonly RestartSettings _settings;
    private readonly TimeProvider _time;

    /// <summary>Timestamps of the restarts inside the window.</summary>
    private readonly Queue<long> _restarts = new();

    public RestartBudget(RestartSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
    }

    /// <summary>Returns a budget that starts with the restarts counted so far (for the halves of a split batch).</summary>
    public RestartBudget Clone()
    {
        var clone = new RestartBudget(_settings, _time);
        foreach (long restart in _restarts)
        {
            clone._restarts.Enqueue(restart);
        }

        return clone;
    }

    /// <summary>Records a restart; false when it exceeds the budget (the caller gives up).</summary>
    public bool TryRestart()
    {
        if (_settings.MaxRestarts < 0)
        {
            return true;
        }

        long now = _time.GetTimestamp();
        while (_restarts.Count > 0 && _time.GetElapsedTime(_restarts.Peek(), now) > _settings.MaxRestartsWithin)
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= _settings.MaxRestarts)
        {
            return false;
        }

        _restarts.Enqueue(now);
        return true;
    }
}
