namespace WriteBehindAkka.PostgreSql;

/// <summary>What a column of the written table holds.</summary>
internal enum ColumnRole
{
    /// <summary>The key (primary key or unique).</summary>
    Key,

    /// <summary>The serialized value as written by the cache (the default table's <c>value</c>, jsonb or bytea).</summary>
    SerializedValue,

    /// <summary>A column of a custom table, read from the deserialized value by a getter.</summary>
    Mapped,

    /// <summary>The record's version (bigint).</summary>
    Version,

    /// <summary>The record's version as a time (timestamptz, exact to the microsecond).</summary>
    UpdatedAt,
}
