using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Journal;

/// <summary>One record read back from the journal.</summary>
/// <param name="Operation">Upsert or delete.</param>
/// <param name="Version">The write's version.</param>
/// <param name="Key">The encoded key.</param>
/// <param name="Value">The serialized value (empty for a delete).</param>
internal readonly record struct JournalRecord(WriteOperation Operation, long Version, byte[] Key, byte[] Value);
