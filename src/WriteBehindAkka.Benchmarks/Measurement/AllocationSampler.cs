using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// Samples what this process allocates, by type, from the runtime's GC AllocationTick events (one event per
/// ~100 KB allocated, naming the type that crossed the mark): an in-process allocation profile with no tool
/// installed. Used by <c>--alloc-profile</c> to find where the bytes per write go.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _recording;

    public void Start() => _recording = true;

    public void Stop() => _recording = false;

    /// <summary>The sampled bytes by type, largest first.</summary>
    public IReadOnlyList<(string Type, long Bytes)> Top(int count) =>
        _bytes.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value)).ToList();

    public long Total => _bytes.Values.Sum();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        int typeIndex = eventData.PayloadNames?.IndexOf("TypeName") ?? -1;
        int amountIndex = eventData.PayloadNames?.IndexOf("AllocationAmount64") ?? -1;
        if (amountIndex < 0)
        {
            amountIndex = eventData.PayloadNames?.IndexOf("AllocationAmount") ?? -1;
        }

        if (typeIndex < 0 || amountIndex < 0)
        {
            return;
        }

        string type = eventData.Payload[typeIndex] as string ?? "?";
        long amount = Convert.ToInt64(eventData.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
