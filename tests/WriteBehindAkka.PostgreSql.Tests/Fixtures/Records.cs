using System.Text;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests.Fixtures;

/// <summary>Builds write records for tests.</summary>
public static class Records
{
    /// <summary>A version in the past that later versions in a test are above.</summary>
    public const long BaseVersion = 1_763_000_000_000_000;

    public static WriteRecord<TKey> Upsert<TKey>(TKey key, byte[] value, long version)
        where TKey : notnull => new(key, WriteOperation.Upsert, value, version);

    public static WriteRecord<TKey> UpsertJson<TKey>(TKey key, string json, long version)
        where TKey : notnull => new(key, WriteOperation.Upsert, Encoding.UTF8.GetBytes(json), version);

    public static WriteRecord<TKey> Delete<TKey>(TKey key, long version)
        where TKey : notnull => new(key, WriteOperation.Delete, ReadOnlyMemory<byte>.Empty, version);
}
