using System.Data;
using NpgsqlTypes;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// What the store writes and reads, fixed at construction: the table, its columns in insert order (the key
/// first), the version guard, the getters of a custom table, and the SQL built from them.
/// </summary>
/// <typeparam name="TValue">The cache's value type.</typeparam>
internal sealed class TablePlan<TValue>
{
    /// <summary>The default table's column names.</summary>
    internal const string DefaultKey = "key", DefaultValue = "value", DefaultVersion = "version", DefaultUpdatedAt = "updated_at";

    /// <summary>Creates a plan.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="table">The table.</param>
    /// <param name="keySqlType">The key's SQL type name.</param>
    /// <param name="isDefaultTable">Whether this is the default key/value table.</param>
    /// <param name="columns">The columns, key first.</param>
    /// <param name="getters">The getters of mapped columns, by <see cref="PlanColumn.MappedIndex"/>.</param>
    /// <param name="rowReader">The read-through row reader of a custom table.</param>
    private TablePlan(
        string schema,
        string table,
        string keySqlType,
        bool isDefaultTable,
        IReadOnlyList<PlanColumn> columns,
        IReadOnlyList<Func<TValue, object?>> getters,
        Func<IDataRecord, TValue>? rowReader)
    {
        Schema = schema;
        Table = table;
        KeySqlType = keySqlType;
        IsDefaultTable = isDefaultTable;
        Columns = columns;
        Getters = getters;
        RowReader = rowReader;
        VersionColumn = columns.FirstOrDefault(c => c.Role == ColumnRole.Version);
        UpdatedAtColumn = columns.FirstOrDefault(c => c.Role == ColumnRole.UpdatedAt);
        Guard = VersionColumn is not null ? VersionGuard.Version : UpdatedAtColumn is not null ? VersionGuard.UpdatedAt : VersionGuard.None;
        Sql = new TableSql(this.QualifiedName(), columns, Guard == VersionGuard.None ? null : (VersionColumn ?? UpdatedAtColumn), guardNullable: !isDefaultTable);
    }

    /// <summary>Gets the schema, unquoted.</summary>
    public string Schema { get; }

    /// <summary>Gets the table, unquoted.</summary>
    public string Table { get; }

    /// <summary>Gets the SQL type name of the key (text, bigint, integer, uuid).</summary>
    public string KeySqlType { get; }

    /// <summary>Gets a value indicating whether this is the default key/value table.</summary>
    public bool IsDefaultTable { get; }

    /// <summary>Gets the columns in insert order; the key is first.</summary>
    public IReadOnlyList<PlanColumn> Columns { get; }

    /// <summary>Gets the key column.</summary>
    public PlanColumn Key => Columns[0];

    /// <summary>Gets the getters of the mapped columns.</summary>
    public IReadOnlyList<Func<TValue, object?>> Getters { get; }

    /// <summary>Gets the read-through row reader of a custom table, if any.</summary>
    public Func<IDataRecord, TValue>? RowReader { get; }

    /// <summary>Gets the version column, if any.</summary>
    public PlanColumn? VersionColumn { get; }

    /// <summary>Gets the updated-at column, if any.</summary>
    public PlanColumn? UpdatedAtColumn { get; }

    /// <summary>Gets the guard against older writes.</summary>
    public VersionGuard Guard { get; }

    /// <summary>Gets the SQL.</summary>
    public TableSql Sql { get; }

    /// <summary>Gets the table's name for messages and dead letters, <c>schema.table</c> (quoted when a part holds a dot or a quote).</summary>
    public string DisplayName => SqlIdentifier.Display(Schema, Table);

    /// <summary>Plans the default key/value table.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="table">The table.</param>
    /// <param name="key">The key's types.</param>
    /// <param name="format">The serializer's format: jsonb for JSON, bytea for binary.</param>
    /// <returns>The plan.</returns>
    public static TablePlan<TValue> ForDefaultTable(string schema, string table, (NpgsqlDbType DbType, string SqlName) key, SerializedFormat format) =>
        new(
            schema,
            table,
            key.SqlName,
            isDefaultTable: true,
            [
                new PlanColumn(DefaultKey, ColumnRole.Key, key.DbType),
                new PlanColumn(DefaultValue, ColumnRole.SerializedValue, format == SerializedFormat.Json ? NpgsqlDbType.Jsonb : NpgsqlDbType.Bytea),
                new PlanColumn(DefaultVersion, ColumnRole.Version, NpgsqlDbType.Bigint),
                new PlanColumn(DefaultUpdatedAt, ColumnRole.UpdatedAt, NpgsqlDbType.TimestampTz),
            ],
            [],
            rowReader: null);

    /// <summary>Plans a custom table from a complete mapping (see <see cref="PostgreSqlTableMapping{TKey, TValue}.Problems"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="mapping">The mapping; copied, so later changes to it change nothing.</param>
    /// <param name="key">The key's types.</param>
    /// <returns>The plan.</returns>
    public static TablePlan<TValue> ForMapping<TKey>(PostgreSqlTableMapping<TKey, TValue> mapping, (NpgsqlDbType DbType, string SqlName) key)
        where TKey : notnull
    {
        var columns = new List<PlanColumn> { new(mapping.KeyColumnName!, ColumnRole.Key, key.DbType) };
        columns.AddRange(mapping.Columns.Select((c, i) => new PlanColumn(c.Name, ColumnRole.Mapped, c.DbType, i)));
        if (mapping.VersionColumnName is { } version)
        {
            columns.Add(new PlanColumn(version, ColumnRole.Version, NpgsqlDbType.Bigint));
        }

        if (mapping.UpdatedAtColumnName is { } updatedAt)
        {
            columns.Add(new PlanColumn(updatedAt, ColumnRole.UpdatedAt, NpgsqlDbType.TimestampTz));
        }

        return new TablePlan<TValue>(
            mapping.SchemaName, mapping.TableName!, key.SqlName, isDefaultTable: false, columns, mapping.Columns.Select(c => c.Getter).ToArray(), mapping.RowReader);
    }

    /// <summary>Returns the quoted, schema-qualified table name.</summary>
    /// <returns><c>"schema"."table"</c>.</returns>
    private string QualifiedName() => SqlIdentifier.Quote(Schema, Table);
}
