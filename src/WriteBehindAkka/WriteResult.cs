namespace WriteBehindAkka;

/// <summary>The answer to a write awaited at a chosen <see cref="WriteConsistency"/>.</summary>
/// <param name="Version">The version the write was given; compare with <see cref="KeyStatus.CommittedVersion"/>.</param>
/// <param name="Consistency">The level that was reached.</param>
public readonly record struct WriteResult(long Version, WriteConsistency Consistency);
