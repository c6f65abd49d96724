using WriteBehindAkka.Journal;
using WriteBehindAkka.Keys;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>
/// A key type that goes into the journal as JSON and whose shape changed between two runs (same type name, a member
/// renamed, added or removed): its records must not be replayed under other keys.
/// </summary>
public sealed class JournalKeyShapeTests : JournalTestBase
{
    public sealed record AccountKey(int Tenant, string Id);

    /// <summary>The next release's AccountKey: Id renamed to UserId (a type of the same name, in the real case).</summary>
    public sealed record RenamedKey(int Tenant, string UserId);

    /// <summary>The next release's AccountKey with a member added.</summary>
    public sealed record WiderKey(int Tenant, string Id, string Region);

    /// <summary>The next release's AccountKey with a member removed.</summary>
    public sealed record NarrowerKey(int Tenant);

    private sealed class Hasher<TKey> : IKeyHasher<TKey>
        where TKey : notnull
    {
        public ulong Hash(TKey key) => StableHash.Hash(key.ToString() ?? string.Empty);
    }

    /// <summary>
    /// A journal of AccountKey writes, read back by a cache whose key type has the same name (the key-type file says
    /// so) and another shape. System.Text.Json ignores a member it does not know and leaves one it does not find at its
    /// default: with Id renamed, the writes of ("1", "a") and ("1", "b") were both replayed as (1, null), one of them
    /// lost and the other written under a key nobody wrote. The start must fail, as for a key type of another name.
    /// </summary>
    [Theory]
    [InlineData(typeof(RenamedKey))]
    [InlineData(typeof(WiderKey))]
    [InlineData(typeof(NarrowerKey))]
    public async Task KeyTypeWhoseShapeChanged_FailsTheStartInsteadOfReplayingOtherKeys(Type next)
    {
        var folder = Folder("shape-" + next.Name);
        var store = new InMemoryStore<AccountKey>();
        store.Pause();
        var first = new WriteBehindCache<AccountKey, string>(store, Options(folder), keyHasher: new Hasher<AccountKey>(), jitter: () => 0.0);
        await first.SetAsync(new AccountKey(1, "a"), "va");
        await first.SetAsync(new AccountKey(1, "b"), "vb");
        var crashed = SnapshotAsCrashed(folder, "shape-crash-" + next.Name);
        store.Resume();
        await first.DisposeAsync();
        File.WriteAllText(Path.Combine(crashed, WriteBehindCache<string, string>.KeyTypeFile), next.FullName); // same name, other shape

        var error = Assert.Throws<InvalidOperationException>(() => Start(next, crashed));
        Assert.Contains(crashed, error.Message, StringComparison.Ordinal);
        Assert.Contains("another key type", error.Message, StringComparison.Ordinal);

        Assert.Contains("of another shape", error.Message, StringComparison.Ordinal);

        // Deployed back with the former shape, the writes replay, each under its own key.
        File.WriteAllText(Path.Combine(crashed, WriteBehindCache<string, string>.KeyTypeFile), typeof(AccountKey).FullName);
        var recovered = new InMemoryStore<AccountKey>();
        await using (var again = new WriteBehindCache<AccountKey, string>(recovered, Options(crashed), keyHasher: new Hasher<AccountKey>(), jitter: () => 0.0))
        {
            await again.FlushAsync().Within();
        }

        Assert.Equal(["va", "vb"], recovered.Rows.OrderBy(row => row.Key.Id).Select(row => Harness.Text(row.Value.Value)));
    }

    private IAsyncDisposable Start(Type keyType, string folder) => keyType == typeof(RenamedKey)
        ? new WriteBehindCache<RenamedKey, string>(new InMemoryStore<RenamedKey>(), Options(folder), keyHasher: new Hasher<RenamedKey>(), jitter: () => 0.0)
        : keyType == typeof(WiderKey)
        ? new WriteBehindCache<WiderKey, string>(new InMemoryStore<WiderKey>(), Options(folder), keyHasher: new Hasher<WiderKey>(), jitter: () => 0.0)
        : new WriteBehindCache<NarrowerKey, string>(new InMemoryStore<NarrowerKey>(), Options(folder), keyHasher: new Hasher<NarrowerKey>(), jitter: () => 0.0);
}
