using System.Data;
using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// Maps cache values onto columns of your own table, for example
/// <c>player_scores(player_id bigint primary key, score int, updated_at timestamptz)</c>, instead of the default
/// key/value table.
/// </summary>
/// <typeparam name="TKey">The cache's key type: string, long, int or Guid.</typeparam>
/// <typeparam name="TValue">The cache's value type.</typeparam>
/// <remarks>
/// <para>
/// The store writes with <c>INSERT ... ON CONFLICT (key) DO UPDATE</c>, so the key column must be the primary key
/// or carry a unique index. For each upsert it deserializes the record's bytes with the cache's serializer (in
/// the writer loop, off the caller's path) and calls each column's getter.
/// </para>
/// <para>
/// Version guard: with <see cref="VersionColumn"/> a row is written or deleted only when its stored version is
/// older; otherwise with <see cref="UpdatedAtColumn"/> only when its stored time is older (exact: versions are
/// microsecond timestamps). A stored NULL counts as older than any write. With neither, there is
/// <b>no guard</b>: every write is applied as it comes, so a retried or replayed batch can overwrite newer data
/// with older data. Map one of the two unless the table is written by nothing but this cache and you accept that.
/// </para>
/// <para>Names are used exactly as written (they are quoted): use the lower-case names PostgreSQL gives unquoted names.</para>
/// </remarks>
public sealed class PostgreSqlTableMapping<TKey, TValue>
    where TKey : notnull
{
    /// <summary>The columns besides the key, in the order given.</summary>
    private readonly List<MappedColumn<TValue>> _columns = [];

    /// <summary>Gets the schema; <c>public</c> unless given.</summary>
    internal string SchemaName { get; private set; } = PostgreSqlStoreDefaults.Schema;

    /// <summary>Gets the table name; <see langword="null"/> until <see cref="Table(string, string)"/> is called.</summary>
    internal string? TableName { get; private set; }

    /// <summary>Gets the key column; <see langword="null"/> until <see cref="Key"/> is called.</summary>
    internal string? KeyColumnName { get; private set; }

    /// <summary>Gets the bigint version column, if mapped.</summary>
    internal string? VersionColumnName { get; private set; }

    /// <summary>Gets the timestamptz column written with the version's time, if mapped.</summary>
    internal string? UpdatedAtColumnName { get; private set; }

    /// <summary>Gets the row reader for read-through, if given.</summary>
    internal Func<IDataRecord, TValue>? RowReader { get; private set; }

    /// <summary>Gets the mapped columns.</summary>
    internal IReadOnlyList<MappedColumn<TValue>> Columns => _columns;

    /// <summary>Names the table, in the <c>public</c> schema.</summary>
    /// <param name="name">The table name, exactly as in the database.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> Table(string name) => Table(PostgreSqlStoreDefaults.Schema, name);

    /// <summary>Names the table.</summary>
    /// <param name="schema">The schema; <see langword="null"/> for <c>public</c>.</param>
    /// <param name="name">The table name, exactly as in the database.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> Table(string? schema, string name)
    {
        SchemaName = schema ?? PostgreSqlStoreDefaults.Schema;
        TableName = name;
        return this;
    }

    /// <summary>Names the key column (primary key or unique), of type text, bigint, integer or uuid to match <typeparamref name="TKey"/>.</summary>
    /// <param name="column">The column name.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> Key(string column)
    {
        KeyColumnName = column;
        return this;
    }

    /// <summary>Adds a column written from each value. Call once per column.</summary>
    /// <param name="name">The column name.</param>
    /// <param name="getter">Reads the column's value from a cache value; return <see langword="null"/> for SQL NULL.</param>
    /// <param name="type">
    /// The column's PostgreSQL type (for example <see cref="NpgsqlDbType.Integer"/>). An array type
    /// (<c>NpgsqlDbType.Array | ...</c>) needs <see cref="PostgreSqlBatchForm.Copy"/>: the unnest form cannot send it.
    /// </param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> Column(string name, Func<TValue, object?> getter, NpgsqlDbType type)
    {
        ArgumentNullException.ThrowIfNull(getter);
        _columns.Add(new MappedColumn<TValue>(name, getter, type));
        return this;
    }

    /// <summary>Names a bigint column that receives each write's version and guards against older writes.</summary>
    /// <param name="name">The column name.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> VersionColumn(string name)
    {
        VersionColumnName = name;
        return this;
    }

    /// <summary>
    /// Names a timestamptz column that receives each write's version as a time
    /// (<see cref="Versioning.ToTimestamp"/>); it guards against older writes when no version column is mapped.
    /// </summary>
    /// <param name="name">The column name.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> UpdatedAtColumn(string name)
    {
        UpdatedAtColumnName = name;
        return this;
    }

    /// <summary>
    /// Sets how read-through builds a value from a row (<c>SELECT *</c> of the key's row; read columns by name).
    /// Without it, <see cref="PostgreSqlStore{TKey, TValue}.LoadAsync"/> throws.
    /// </summary>
    /// <param name="reader">Builds a value from the row.</param>
    /// <returns>This mapping.</returns>
    public PostgreSqlTableMapping<TKey, TValue> FromRow(Func<IDataRecord, TValue> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RowReader = reader;
        return this;
    }

    /// <summary>Lists what is wrong with the mapping.</summary>
    /// <param name="form">How the store sends batches: the unnest form cannot send array columns.</param>
    /// <returns>Every problem; empty when the mapping is complete.</returns>
    internal IEnumerable<string> Problems(PostgreSqlBatchForm form)
    {
        if (TableName is null)
        {
            yield return "The mapping names no table: call mapping.Table(schema, name).";
        }
        else
        {
            foreach (var problem in new[] { SqlIdentifier.Problem("Schema", SchemaName), SqlIdentifier.Problem("Table", TableName) }.OfType<string>())
            {
                yield return "In the mapping: " + problem;
            }
        }

        if (KeyColumnName is null)
        {
            yield return "The mapping names no key column: call mapping.Key(column).";
        }

        if (_columns.Count == 0)
        {
            yield return "The mapping has no value column: call mapping.Column(name, getter, type) for each column to write.";
        }

        var names = new List<string>();
        foreach (var (what, name) in AllNames())
        {
            if (SqlIdentifier.Problem(what, name) is { } problem)
            {
                yield return "In the mapping: " + problem;
            }
            else if (names.Contains(name, StringComparer.Ordinal))
            {
                yield return $"In the mapping: the column '{name}' is mapped twice: map each column once.";
            }
            else if (name == TableSql.DeleteFlagColumn)
            {
                yield return $"In the mapping: the column name '{name}' is reserved for the staging table: rename the column.";
            }
            else
            {
                names.Add(name);
            }
        }

        if (form == PostgreSqlBatchForm.Unnest)
        {
            // The unnest form sends each column as one array of the batch's values: for an array column, an array
            // of arrays, which Npgsql cannot send as one (and unnest would flatten). Every record would fail alone
            // as a refused row and be dead-lettered. COPY writes each value on its own.
            foreach (var column in _columns.Where(c => (c.DbType & NpgsqlDbType.Array) != 0))
            {
                yield return $"In the mapping: the column '{column.Name}' is an array (Array | {column.DbType & ~NpgsqlDbType.Array}), which the Unnest batch form cannot send " +
                    "(it sends each column as one array of the batch's values): use BatchForm = PostgreSqlBatchForm.Copy.";
            }
        }
    }

    /// <summary>Lists the column names with what each is, for validation.</summary>
    /// <returns>The names given so far.</returns>
    private IEnumerable<(string What, string Name)> AllNames()
    {
        if (KeyColumnName is not null)
        {
            yield return ("Key column", KeyColumnName);
        }

        foreach (var column in _columns)
        {
            yield return ("Column", column.Name);
        }

        if (VersionColumnName is not null)
        {
            yield return ("Version column", VersionColumnName);
        }

        if (UpdatedAtColumnName is not null)
        {
            yield return ("UpdatedAt column", UpdatedAtColumnName);
        }
    }
}
