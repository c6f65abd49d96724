namespace WriteBehindAkka;

/// <summary>The answer to a bulk write (<see cref="IWriteBehindCache{TKey, TValue}.SetManyAsync"/>, <see cref="IWriteBehindCache{TKey, TValue}.DeleteManyAsync"/>).</summary>
/// <param name="Consistency">The level every write reached.</param>
/// <param name="Versions">The version each write was given, in the order of the list (compare with <see cref="KeyStatus.CommittedVersion"/>).</param>
public sealed record BulkWriteResult(WriteConsistency Consistency, IReadOnlyList<long> Versions)
{
    /// <summary>How many writes the call made: every one it was given.</summary>
    public int Writes => Versions.Count;
}
