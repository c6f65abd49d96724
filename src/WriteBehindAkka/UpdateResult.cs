namespace WriteBehindAkka;

/// <summary>The answer to an atomic update (<c>UpdateAsync</c>, <c>ComputeAsync</c>, <c>AddOrUpdateAsync</c>, <c>GetOrAddAsync</c>).</summary>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="Value">The key's value after the update: what the function returned (the type's default when <c>ComputeAsync</c>'s function removed the key, or left a key without a value as it was).</param>
/// <param name="Changed">
/// Whether the value differs from the one the function was given (its serialized bytes differ, the key had none, or
/// <c>ComputeAsync</c>'s function removed a key that had one).
/// An unchanged value is not written when the update was awaited at <see cref="WriteConsistency.Accepted"/>; at
/// Journaled or Committed it is written again, so that the answer means what the level says.
/// </param>
/// <param name="Version">The version of the write made; when no write was made, the version of the value read.</param>
/// <param name="Consistency">The level reached (Accepted when no write was made).</param>
/// <param name="Attempts">How many times the update function ran: more than once when the key changed between a read and its write.</param>
public readonly record struct UpdateResult<TValue>(TValue Value, bool Changed, long Version, WriteConsistency Consistency, int Attempts);
