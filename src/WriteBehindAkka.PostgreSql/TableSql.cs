using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// The SQL a store sends, built once from its plan. Only quoted, validated names are spliced in; every value
/// travels as a parameter or through COPY.
/// </summary>
internal sealed class TableSql
{
    /// <summary>The staging table's column that tells deletes from upserts.</summary>
    internal const string DeleteFlagColumn = "wb_delete";

    /// <summary>Builds the SQL.</summary>
    /// <param name="qualifiedTable">The quoted table name.</param>
    /// <param name="columns">The columns in insert order, key first.</param>
    /// <param name="guard">The guard column, or <see langword="null"/> for no guard.</param>
    /// <param name="guardNullable">Whether a stored NULL in the guard column must count as older (custom tables).</param>
    public TableSql(string qualifiedTable, IReadOnlyList<PlanColumn> columns, PlanColumn? guard, bool guardNullable)
    {
        var key = columns[0].Quoted;
        var names = string.Join(", ", columns.Select(c => c.Quoted));
        var updates = string.Join(", ", columns.Skip(1).Select(c => $"{c.Quoted} = excluded.{c.Quoted}"));
        var upsertTail = $" ON CONFLICT ({key}) DO UPDATE SET {updates}" + (guard is null ? string.Empty : " WHERE " + Older(guard, "excluded", guardNullable));
        var parameters = string.Join(", ", columns.Select((_, i) => "$" + (i + 1).ToString(CultureInfo.InvariantCulture)));

        UpsertUnnest = $"INSERT INTO {qualifiedTable} AS t ({names}) SELECT * FROM unnest({parameters}){upsertTail}";
        DeleteUnnest = guard is null
            ? $"DELETE FROM {qualifiedTable} AS t WHERE t.{key} = ANY($1)"
            : $"DELETE FROM {qualifiedTable} AS t USING unnest($1, $2) AS d(k, v) WHERE t.{key} = d.k AND {Older(guard, "d", guardNullable, "v")}";

        // One staging table per target and column set, so that stores of different tables can share a connection.
        var shape = qualifiedTable + "(" + names + ")";
        var stageName = "wb_stage_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape)))[..16];
        var stage = "pg_temp." + SqlIdentifier.Quote(stageName);
        var flag = SqlIdentifier.Quote(DeleteFlagColumn);
        var stageColumns = flag + ", " + names;
        // Each staging column has its column's type without its typmod, and a domain's base type (a CASE with a
        // NULL branch keeps neither): with No Reset On Close the staging table outlives batches, and a copy of
        // varchar(5) or numeric(8,2) would go on cutting values after the table's column was widened. The table's
        // own typmods and domains still apply at the merge.
        CreateStage =
            $"CREATE TEMP TABLE IF NOT EXISTS {SqlIdentifier.Quote(stageName)} ON COMMIT DELETE ROWS AS " +
            $"SELECT false AS {flag}, {string.Join(", ", columns.Select(c => $"CASE WHEN false THEN t.{c.Quoted} END AS {c.Quoted}"))} FROM {qualifiedTable} AS t WITH NO DATA";
        CopyIntoStage = $"COPY {stage} ({stageColumns}) FROM STDIN (FORMAT BINARY)";
        MergeUpserts = $"INSERT INTO {qualifiedTable} AS t ({names}) SELECT {names} FROM {stage} AS s WHERE NOT s.{flag}{upsertTail}";
        LoadSerialized = guard is null ? string.Empty : $"SELECT {columns[1].Quoted}, {guard.Quoted} FROM {qualifiedTable} WHERE {key} = $1";
        LoadRow = $"SELECT * FROM {qualifiedTable} WHERE {key} = $1";

        // Many keys in one query, each compared as the one-key load compares it. The default table's rows come with
        // the place of their key in the array. A custom table's rows go to FromRow, which must see the row as the
        // one-key load's SELECT * shows it (no added column: a reader of every column, or of a name that differs from
        // the added one only in case, would read it): one row per key instead, in the order of the keys, the key
        // column NULL for a key without a row (a stored key is never NULL, since NULL equals nothing).
        string keyArray = $"unnest($1) WITH ORDINALITY AS {LoadManyKeys}(k, i)";
        LoadManySerialized = guard is null ? string.Empty
            : $"SELECT t.{columns[1].Quoted}, t.{guard.Quoted}, {LoadManyKeys}.i FROM {keyArray} JOIN {qualifiedTable} AS t ON t.{key} = {LoadManyKeys}.k";
        LoadManyRows = $"SELECT DISTINCT ON ({LoadManyKeys}.i) t.* FROM {keyArray} LEFT JOIN {qualifiedTable} AS t ON t.{key} = {LoadManyKeys}.k ORDER BY {LoadManyKeys}.i";
        LoadVersion = $"SELECT {(guard is null ? "NULL::bigint" : guard.Quoted)} FROM {qualifiedTable} WHERE {key} = $1";
    }

    /// <summary>Gets the unnest upsert: one array parameter per column, in column order.</summary>
    public string UpsertUnnest { get; }

    /// <summary>Gets the unnest delete: <c>$1</c> the keys and, with a guard, <c>$2</c> the guard values.</summary>
    public string DeleteUnnest { get; }

    /// <summary>Gets the statement that creates the session's staging table if it is missing.</summary>
    public string CreateStage { get; }

    /// <summary>Gets the binary COPY into the staging table: the delete flag, then the columns.</summary>
    public string CopyIntoStage { get; }

    /// <summary>Gets the merge of the staged upserts.</summary>
    public string MergeUpserts { get; }

    /// <summary>Gets the default table's load: value (its second column) and version (its guard) of the key <c>$1</c>. Unused for custom tables.</summary>
    public string LoadSerialized { get; }

    /// <summary>The alias of the key array in the many-key loads.</summary>
    internal const string LoadManyKeys = "wb_keys";

    /// <summary>Gets the default table's load of the keys in the array <c>$1</c>: value, version and the key's 1-based place in the array.</summary>
    public string LoadManySerialized { get; }

    /// <summary>Gets a custom table's load of the keys in the array <c>$1</c>: one whole row per key, in the array's order, its key column NULL where the key has no row.</summary>
    public string LoadManyRows { get; }

    /// <summary>Gets a custom table's load: the whole row of the key <c>$1</c>.</summary>
    public string LoadRow { get; }

    /// <summary>Gets the load of the guard column alone (NULL without a guard) of the key <c>$1</c>.</summary>
    public string LoadVersion { get; }

    /// <summary>Builds the guard condition: the stored row is older than the incoming one.</summary>
    /// <param name="guard">The guard column.</param>
    /// <param name="incoming">The alias of the incoming row.</param>
    /// <param name="nullable">Whether a stored NULL counts as older.</param>
    /// <param name="incomingColumn">The incoming column's name, when it differs from the guard column's.</param>
    /// <returns>The condition.</returns>
    private static string Older(PlanColumn guard, string incoming, bool nullable, string? incomingColumn = null)
    {
        var comparison = $"t.{guard.Quoted} < {incoming}.{incomingColumn ?? guard.Quoted}";
        return nullable ? $"(t.{guard.Quoted} IS NULL OR {comparison})" : comparison;
    }
}
