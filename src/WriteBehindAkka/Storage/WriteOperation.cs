namespace WriteBehindAkka.Storage;

/// <summary>What a <see cref="WriteRecord{TKey}"/> asks the store to do with its key.</summary>
public enum WriteOperation : byte
{
    /// <summary>Insert the row, or update it when the stored version is older.</summary>
    Upsert = 0,

    /// <summary>Delete the row when the stored version is older than the record's.</summary>
    Delete = 1,
}
