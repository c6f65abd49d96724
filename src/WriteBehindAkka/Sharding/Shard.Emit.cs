using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Sharding;

/// <content>Emission of dirty entries into the writer's input.</content>
internal sealed partial class Shard<TKey>
{
    /// <summary>
    /// Hands ready entries to the pipeline, oldest first. Emits while the writer's input has room; when it is
    /// full, starts a pump that signals when there is room again, and the entries stay dirty here, where
    /// further writes coalesce. At most one version per key is in flight.
    /// </summary>
    private void Emit()
    {
        if (_pumping)
        {
            PublishOldest();
            return;
        }

        long now = -1;
        while ((_hurried.Count > 0 ? _hurried : _ready) is var queue && queue.TryPeek(out var entry))
        {
            if (!entry.Has(EntryFlags.Dirty) || entry.InFlight)
            {
                queue.Dequeue();
                entry.Flags &= ~EntryFlags.Queued;
                continue;
            }

            if (_writeDelayTicks != 0 && entry.DirtyEpoch >= _hurryBelowEpoch)
            {
                now = now < 0 ? _ctx.Time.GetTimestamp() : now;
                long eligibleAt = entry.DirtySince + _writeDelayTicks;
                if (eligibleAt > now)
                {
                    ArmTimer(eligibleAt, now);
                    PublishOldest();
                    return;
                }
            }

            var record = new WriteRecord<TKey>(
                entry.Key,
                entry.Value is null ? WriteOperation.Delete : WriteOperation.Upsert,
                entry.Value,
                entry.Version);
            if (!_lane.TryWrite(new PipelineItem<TKey>(_id, entry, record, entry.DirtySince)))
            {
                _pumping = true;
                _ = PumpAsync();
                PublishOldest();
                return;
            }

            queue.Dequeue();
            entry.Flags = (entry.Flags & ~(EntryFlags.Queued | EntryFlags.Dirty)) | EntryFlags.PipelineHasValue;
            entry.InFlight = true;
            entry.EmittedEpoch = entry.DirtyEpoch;
        }

        PublishOldest();
    }

    /// <summary>Publishes when the oldest write still waiting here became dirty, for the lag gauge (0: none).</summary>
    private void PublishOldest()
    {
        long oldest = _ready.TryPeek(out var head) && head.Has(EntryFlags.Dirty) ? head.DirtySince : 0;
        if (_hurried.TryPeek(out var hurried) && hurried.Has(EntryFlags.Dirty) && (oldest == 0 || hurried.DirtySince < oldest))
        {
            oldest = hurried.DirtySince;
        }

        Volatile.Write(ref _oldestWaitingSince, oldest);
    }

    /// <summary>Waits for room in the writer's input, then wakes the shard. Ends quietly when the pipeline closes.</summary>
    private async Task PumpAsync()
    {
        try
        {
            if (await _lane.WaitToWriteAsync(_ctx.Stop.Token).ConfigureAwait(false))
            {
                Post(PipelineReadySignal.Instance);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: nothing more is emitted.
        }
    }

    private void ArmTimer(long dueAt, long now)
    {
        // Timers count whole milliseconds (the system's truncates a due time to them): one due in less fires at once,
        // and the shard would tick, find nothing due yet, set it again, and so on until the time came (a spin, each
        // time an expiry or a write delay ends under a millisecond after the one before). A millisecond at least.
        long soonest = now + Math.Max(1, _ctx.Time.TimestampFrequency / 1000);
        dueAt = Math.Max(dueAt, soonest);
        if (dueAt >= _timerDueAt)
        {
            return;
        }

        _timerDueAt = dueAt;
        _timer ??= _ctx.Time.CreateTimer(static state => ((Shard<TKey>)state!).Post(TickSignal.Instance), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var due = TimeSpan.FromSeconds((double)(dueAt - now) / _ctx.Time.TimestampFrequency);
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }
}
