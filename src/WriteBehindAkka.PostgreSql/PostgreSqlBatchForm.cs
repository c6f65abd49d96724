namespace WriteBehindAkka.PostgreSql;

/// <summary>How <see cref="PostgreSqlStore{TKey, TValue}"/> sends a batch to the server.</summary>
public enum PostgreSqlBatchForm
{
    /// <summary>
    /// One round trip: an <c>INSERT ... SELECT * FROM unnest(arrays) ON CONFLICT ... DO UPDATE</c> and a
    /// <c>DELETE ... USING unnest(arrays)</c> in one implicit transaction, each column sent as one array parameter.
    /// </summary>
    Unnest = 0,

    /// <summary>
    /// A transaction that binary-COPYs the batch into a temporary staging table, then merges it with one
    /// <c>INSERT ... SELECT ... ON CONFLICT</c> and one <c>DELETE ... USING</c>. Four round trips.
    /// </summary>
    Copy = 1,
}
