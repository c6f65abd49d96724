namespace WriteBehindAkka.Demo.Metrics;

/// <summary>The recent samples of the page's charts (a ring of <see cref="DemoOptions.History"/> samples) and the latest totals.</summary>
public sealed class LiveStats
{
    private readonly Lock _gate = new();
    private readonly Queue<LiveSample> _samples = new();
    private readonly int _capacity;
    private LiveTotals _totals = LiveTotals.Zero;
    private string _lagSource = "none yet";

    /// <summary>Creates an empty history.</summary>
    /// <param name="capacity">How many samples to keep.</param>
    public LiveStats(int capacity) => _capacity = Math.Max(2, capacity);

    /// <summary>Gets where <see cref="LiveSample.LagSeconds"/> comes from: a core metric or an estimate.</summary>
    public string LagSource
    {
        get
        {
            lock (_gate)
            {
                return _lagSource;
            }
        }
    }

    /// <summary>Gets the latest totals.</summary>
    public LiveTotals Totals
    {
        get
        {
            lock (_gate)
            {
                return _totals;
            }
        }
    }

    /// <summary>Adds a sample, dropping the oldest past the capacity.</summary>
    /// <param name="sample">The sample.</param>
    /// <param name="totals">The totals at the sample.</param>
    /// <param name="lagSource">Where the lag came from.</param>
    public void Add(LiveSample sample, LiveTotals totals, string lagSource)
    {
        lock (_gate)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > _capacity)
            {
                _samples.Dequeue();
            }

            _totals = totals;
            _lagSource = lagSource;
        }
    }

    /// <summary>The samples taken after <paramref name="since"/>, oldest first.</summary>
    /// <param name="since">Unix milliseconds; 0 for all.</param>
    /// <returns>The samples.</returns>
    public IReadOnlyList<LiveSample> Since(long since)
    {
        lock (_gate)
        {
            return _samples.Where(s => s.At > since).ToArray();
        }
    }
}
