namespace WriteBehindAkka.Demo.Metrics;

/// <summary>How a collected instrument aggregates, which decides its Prometheus type.</summary>
public enum InstrumentKind
{
    /// <summary>A monotonic sum (Counter, ObservableCounter): a Prometheus counter.</summary>
    Counter = 0,

    /// <summary>A current value (UpDownCounter, ObservableUpDownCounter, ObservableGauge, Gauge): a Prometheus gauge.</summary>
    Gauge = 1,

    /// <summary>A distribution (Histogram): a Prometheus histogram.</summary>
    Histogram = 2,
}
