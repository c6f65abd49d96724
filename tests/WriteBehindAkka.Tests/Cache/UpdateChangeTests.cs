using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// An entry an update read that was evicted for room or expired is no change to the key (Shard.Updates.cs), against the
/// paths that say the key's row is no longer what the update read.
/// </summary>
public sealed class UpdateChangeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UpdateAsync_EntryEvictedForRoomThenRowChangedElsewhereAndEvictedOnRequest_RunsAgainOnTheNewRow(bool all)
    {
        // The entry the update read is evicted for room (no change), then another process changes the
        // row and the application calls EvictAsync (or EvictAllAsync), as the README says to. The key has no entry
        // then, so nothing is dropped; the write must still not be taken over the row the function never saw.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Seed("other", Json(0), 1);
        await using var cache = Counters(store, o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        var seen = new List<int>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                Assert.Equal(0, Wait(cache.GetAsync("other"))); // evicts "k" for room
                Assert.Equal(KeyStatus.NotCached, Wait(cache.GetStatusAsync("k")));
                store.Seed("k", Json(50), 2); // another process
                if (all)
                {
                    Wait(cache.EvictAllAsync());
                }
                else
                {
                    Assert.False(Wait(cache.EvictAsync("k"))); // nothing cached to drop
                }
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal([5, 50], seen);
        Assert.Equal(51, result.Value);
        Assert.Equal(51, Stored(store, "k"));
    }

    [Fact]
    public async Task UpdateAsync_FailedEntryEvictedThenItsDeadLetterDiscarded_RunsAgainOnTheStoredRow()
    {
        // The update read a write the store refused (dead-lettered); the entry is evicted for room, then the letter is
        // discarded: that write is gone for good and reads answer the stored row. Had the entry not been evicted first,
        // the discard would have dropped it and the update would read again; it must here too.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Seed("other", Json(0), 1);
        store.PoisonKeys["k"] = true;
        await using var cache = Counters(store, o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        await cache.SetAsync("k", 7);
        await cache.FlushAsync().Within();
        Assert.Equal(WriteState.Failed, (await cache.GetStatusAsync("k")).State);
        var seen = new List<int>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                Assert.Equal(0, Wait(cache.GetAsync("other"))); // evicts "k" for room
                Assert.Equal(KeyStatus.NotCached, Wait(cache.GetStatusAsync("k")));
                Assert.True(Wait(cache.DiscardDeadLetterAsync("k")));
                store.PoisonKeys.Clear();
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal([7, 5], seen);
        Assert.Equal(6, result.Value);
        Assert.Equal(6, Stored(store, "k"));
    }

    [Theory]
    [InlineData("written")]
    [InlineData("evicted on request")]
    [InlineData("changed row loaded")]
    public async Task UpdateAsync_EntryEvictedForRoomReloadedThenChanged_RunsAgain(string change)
    {
        // A reload at the version the update read is no change (the row did not change); what comes after it
        // must still make the update read again: a write of the key (committed and evicted in turn), EvictAsync after
        // a change elsewhere, or a load that finds a row changed elsewhere.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Seed("other", Json(0), 1);
        for (int i = 0; i < 4; i++)
        {
            store.Seed($"other{i}", Json(0), 1);
        }

        await using var cache = Counters(store, o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        var seen = new List<int>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                Assert.Equal(0, Wait(cache.GetAsync("other"))); // evicts "k" for room
                if (change == "changed row loaded")
                {
                    store.Seed("k", Json(50), 2); // another process
                    Assert.Equal(50, Wait(cache.GetAsync("k")));
                }
                else
                {
                    Assert.Equal(5, Wait(cache.GetAsync("k"))); // loaded again, unchanged ("other" evicted)
                    if (change == "written")
                    {
                        Wait(cache.SetAsync("k", 50, WriteConsistency.Committed));
                    }
                    else
                    {
                        store.Seed("k", Json(50), 2); // another process
                        Assert.True(Wait(cache.EvictAsync("k")));
                    }
                }

                for (int i = 0; i < 4 && Wait(cache.GetStatusAsync("k")) != KeyStatus.NotCached; i++)
                {
                    Assert.Equal(0, Wait(cache.GetAsync($"other{i}"))); // until "k" is evicted for room again
                }

                Assert.Equal(KeyStatus.NotCached, Wait(cache.GetStatusAsync("k")));
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal([5, 50], seen);
        Assert.Equal(51, result.Value);
        Assert.Equal(51, Stored(store, "k"));
    }
}
