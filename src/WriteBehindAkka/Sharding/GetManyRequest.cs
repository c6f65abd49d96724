namespace WriteBehindAkka.Sharding;

/// <summary>The reads of one shard's keys in a <c>GetManyAsync</c>: each key with the reply its value goes to.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Reads">The keys (distinct) and their replies.</param>
internal sealed record GetManyRequest<TKey>(List<(TKey Key, TaskCompletionSource<byte[]?> Reply)> Reads)
    where TKey : notnull;
