using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Sharding;

/// <content>Records the store refused: Failed, counted for the flush, and released once dead-lettered.</content>
internal sealed partial class Shard<TKey>
{
    private void OnFailed(List<FailedRecord<TKey>> failed)
    {
        foreach (var failure in failed)
        {
            var item = failure.Item;
            var entry = item.Entry;
            _epochs.RecordFailure(entry.EmittedEpoch);
            var before = Land(entry, item.Record.Value);
            (entry.Extras ??= new EntryExtras()).LastError = failure.Error.Message;
            if (!entry.Has(EntryFlags.Dirty))
            {
                // Not written again meanwhile: the refused write is the latest one.
                if (!entry.Has(EntryFlags.Failed))
                {
                    entry.Flags |= EntryFlags.Failed;
                    _failedCount++;
                }

                if (failure.State == DeadLetterState.Refused)
                {
                    entry.Flags |= EntryFlags.Unrecorded;
                }
                else
                {
                    entry.Flags &= ~EntryFlags.Unrecorded;
                }
            }

            WriteBehindMetrics.WritesFailed.AddSafely(1, _ctx.Tags);
            AnswerCommitWaiters(entry, item.Record.Version, failure.Error);
            AfterLanding(entry, before);
            // Logged after its state is settled (the guarded logger and KeyText never throw).
            Log.RecordFailed(_ctx.Logger, failure.Error, _ctx.Name, KeyText.Of(entry.Key), item.Record.Version);
        }
    }
}
