namespace WriteBehindAkka;

/// <summary>The answer to a bulk write (<see cref="IWriteBehindCache{TKey, TValue}.SetManyAsync"/>, <see cref="IWriteBehindCache{TKey, TValue}.DeleteManyAsync"/>).</summary>
/// <param name="Writes">How many writes the call made: every one it was given, each at <paramref name="Consistency"/>.</param>
/// <param name="Consistency">The level every write reached.</param>
public readonly record struct BulkWriteResult(int Writes, WriteConsistency Consistency);
