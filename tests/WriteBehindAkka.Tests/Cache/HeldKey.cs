using WriteBehindAkka.Keys;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// A key whose hash code, taken inside the shard, waits while <see cref="Held"/> is unset for the key "hold": a write
/// of it, run inline on its caller's thread, keeps the shard busy, and the writes after it queue in the mailbox. The
/// events are static per <typeparamref name="TOwner"/>, so that test classes running in parallel do not share them.
/// </summary>
/// <typeparam name="TOwner">The test class that uses it.</typeparam>
/// <param name="Name">The key's text.</param>
internal sealed record HeldKey<TOwner>(string Name)
{
    public static readonly ManualResetEventSlim Held = new(false);

    public static readonly ManualResetEventSlim Holding = new(false);

    public override int GetHashCode()
    {
        if (Name == "hold" && !Held.IsSet)
        {
            Holding.Set();
            Held.Wait(Harness.Within);
        }

        return Name.GetHashCode(StringComparison.Ordinal);
    }

    public bool Equals(HeldKey<TOwner>? other) => other is not null && other.Name == Name;
}

/// <summary>Routes every <see cref="HeldKey{TOwner}"/> to one shard.</summary>
/// <typeparam name="TOwner">The test class that uses it.</typeparam>
internal sealed class OneShard<TOwner> : IKeyHasher<HeldKey<TOwner>>
{
    public ulong Hash(HeldKey<TOwner> key) => 0;
}
