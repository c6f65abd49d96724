using Npgsql;

namespace WriteBehindAkka.PostgreSql;

/// <content>Creating and checking the default key/value table.</content>
public sealed partial class PostgreSqlStore<TKey, TValue>
{
    /// <summary>
    /// Creates the default key/value table (and its schema, when it is not <c>public</c>) if it is missing, then
    /// checks that its columns have the types this store writes.
    /// </summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the table is ready.</returns>
    /// <remarks>
    /// The table: <c>key</c> (text, bigint, integer or uuid after the key type) primary key, <c>value</c> jsonb
    /// when the serializer writes JSON and bytea otherwise, <c>version bigint</c> and <c>updated_at timestamptz</c>,
    /// all not null.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The store writes a custom table, or the table exists with other column types.</exception>
    public async Task EnsureTableAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!_plan.IsDefaultTable)
        {
            throw new InvalidOperationException(
                $"EnsureTableAsync creates the default key/value table only, but this store writes the custom table {_plan.DisplayName}: " +
                "create that table with your own migrations.");
        }

        var qualified = SqlIdentifier.Quote(_plan.Schema, _plan.Table);
        var valueType = _plan.Columns[1].DbType == NpgsqlTypes.NpgsqlDbType.Jsonb ? "jsonb" : "bytea";
        var ddl =
            $"CREATE TABLE IF NOT EXISTS {qualified} (" +
            $"\"{TablePlan<TValue>.DefaultKey}\" {_plan.KeySqlType} PRIMARY KEY, " +
            $"\"{TablePlan<TValue>.DefaultValue}\" {valueType} NOT NULL, " +
            $"\"{TablePlan<TValue>.DefaultVersion}\" bigint NOT NULL, " +
            $"\"{TablePlan<TValue>.DefaultUpdatedAt}\" timestamptz NOT NULL)";
        // Look before creating: PostgreSQL checks the CREATE privilege before IF NOT EXISTS, and a role that may
        // write the table need not be allowed to create one.
        if (!await TableCreation.ExistsAsync(_dataSource, qualified, _timeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            await TableCreation.CreateIfMissingAsync(_dataSource, _plan.Schema, qualified, ddl, _timeoutSeconds, cancellationToken).ConfigureAwait(false);
        }

        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TablePlan<TValue>.DefaultKey] = _plan.KeySqlType,
            [TablePlan<TValue>.DefaultValue] = valueType,
            [TablePlan<TValue>.DefaultVersion] = "bigint",
            [TablePlan<TValue>.DefaultUpdatedAt] = "timestamp with time zone",
        };
        var actual = await ReadColumnTypesAsync(qualified, cancellationToken).ConfigureAwait(false);
        var problems = expected
            .Where(e => !actual.TryGetValue(e.Key, out var type) || type != e.Value)
            .Select(e => actual.TryGetValue(e.Key, out var type)
                ? $"column {e.Key} is {type}, but this store writes {e.Value}"
                : $"column {e.Key} ({e.Value}) is missing")
            .ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The table {_plan.DisplayName} exists but does not match this store: {string.Join("; ", problems)}. " +
                "Use another Table, or migrate or drop this one (a JSON serializer needs jsonb, a binary one bytea).");
        }
    }

    /// <summary>
    /// Before the first write or load: creates the table when <see cref="PostgreSqlStoreOptions.CreateTableIfMissing"/>
    /// is set, and checks its guard column; before the first write, also its column types for the COPY batch form and
    /// that the store writes every column an insert needs (a load needs neither). Not marked ready after a
    /// failure, so the next attempt (after a migration, say) checks again.
    /// </summary>
    /// <param name="forWrite">Whether a write asks (the insert check applies to writes only).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    private async ValueTask EnsureReadyAsync(bool forWrite, CancellationToken cancellationToken)
    {
        if (_tableReady && (_insertsChecked || !forWrite))
        {
            return;
        }

        await _ensureGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                if (!_tableReady)
                {
                    if (_options.CreateTableIfMissing)
                    {
                        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
                    }

                    if (!await CheckGuardAsync(cancellationToken).ConfigureAwait(false))
                    {
                        // No table, or no guard column, yet (a migration still to run): the statement fails with
                        // 42P01 or 42703, a configuration error retried until it is there, and the checks run again then.
                        return;
                    }

                    _tableReady = true;
                }

                if (forWrite && !_insertsChecked)
                {
                    // Writes only: a read (SELECT *) converts, and needs neither check.
                    if (_options.BatchForm == PostgreSqlBatchForm.Copy)
                    {
                        await CheckCopyTypesAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await CheckUnmappedRequiredColumnsAsync(cancellationToken).ConfigureAwait(false);
                    _insertsChecked = true;
                }
            }
            catch (InvalidOperationException mismatch)
            {
                // The table exists with other columns: no retry of these records, nor splitting them, can help.
                throw new PostgreSqlConfigurationException(mismatch.Message, mismatch);
            }
        }
        finally
        {
            _ensureGate.Release();
        }
    }

    /// <summary>
    /// Checks that the version guard's column holds a version exactly, so that the guard's <c>&lt;</c> never sees
    /// two writes as equal or in the wrong order: a version column must be <c>bigint</c> (or unconstrained
    /// <c>numeric</c>), an updated-at column <c>timestamptz</c> with microseconds (no precision, or 6). A
    /// <c>timestamptz(3)</c> rounds two writes of one millisecond to the same time, and the newer is dropped as not
    /// newer; a <c>timestamp</c> without time zone takes the session's time zone, so a daylight-saving change turns
    /// versions back; an <c>integer</c> version overflows (22003) and every write would be dead-lettered. A domain
    /// counts as its base type and its precision. A missing column is left to the statement (42703), and checked
    /// when it appears.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>False when the table or its guard column does not exist (nothing was checked).</returns>
    /// <exception cref="InvalidOperationException">The guard column cannot hold versions exactly.</exception>
    private async Task<bool> CheckGuardAsync(CancellationToken cancellationToken)
    {
        const string Sql =
            "WITH RECURSIVE col AS (" +
            "SELECT a.atttypid AS typ, a.atttypmod AS mod, format_type(a.atttypid, a.atttypmod) AS shown FROM pg_attribute a " +
            "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped), " +
            "base AS (SELECT typ, mod FROM col " +
            "UNION ALL SELECT t.typbasetype, CASE WHEN t.typtypmod <> -1 THEN t.typtypmod ELSE b.mod END FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd') " +
            "SELECT to_regclass($1) IS NOT NULL, (SELECT shown FROM col), " +
            "(SELECT b.typ::regtype::text FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype <> 'd'), " +
            "(SELECT b.mod FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype <> 'd')";
        var guard = _plan.VersionColumn ?? _plan.UpdatedAtColumn;
        var (exists, shown, baseType, typmod) = (await CatalogRowsAsync(
            Sql,
            static reader => (
                reader.GetBoolean(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? -1 : reader.GetInt32(3)),
            cancellationToken,
            new NpgsqlParameter<string> { TypedValue = guard?.Name ?? string.Empty }).ConfigureAwait(false))[0];

        if (!exists || guard is null)
        {
            return exists;
        }

        if (shown is null)
        {
            // The guard column is missing (a migration still to add it): the statement fails with 42703, a
            // configuration error, and the column is checked when it appears, as a table that appears later is.
            return false;
        }

        string? problem = guard.Role == ColumnRole.Version
            ? baseType == "bigint" || (baseType == "numeric" && HoldsVersions(typmod))
                ? null
                : $"the version column {guard.Name} is {shown}, but versions are microsecond timestamps (16 digits, about 1.7e15): it must be bigint, or a numeric of at least 16 whole digits"
            : baseType == "timestamp with time zone"
                ? typmod is -1 or 6
                    ? null
                    : $"the updated-at column {guard.Name} is {shown}, which rounds versions (microseconds) to its precision: two writes within one tick would compare equal and the newer would be dropped as not newer; it must be timestamptz with microseconds (no precision, or 6)"
                : baseType == "timestamp without time zone"
                    ? $"the updated-at column {guard.Name} is {shown}: a version converted into it takes the session's time zone, so a daylight-saving change would turn versions back and newer writes would be dropped; it must be timestamptz"
                    : $"the updated-at column {guard.Name} is {shown}: it must be timestamptz";
        if (problem is not null)
        {
            throw new InvalidOperationException(
                $"The table {_plan.DisplayName} cannot guard against older writes: {problem}. " +
                "Change the column, or map another one (a bigint VersionColumn guards exactly).");
        }

        return true;
    }

    /// <summary>
    /// Checks that the store writes every column an insert cannot leave out: a NOT NULL column (or one of a NOT
    /// NULL domain) with no default (its own or its domain's) that is not an identity or generated column. Left
    /// out, every insert is refused with 23502, a data error to the classifier: each record would be split out
    /// of its batch and dead-lettered one by one while the cache looked healthy. Found before the first write, it
    /// is a configuration error naming the columns instead, retried until the table or the mapping is changed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>A task.</returns>
    /// <exception cref="InvalidOperationException">A required column is not written by the store.</exception>
    private async Task CheckUnmappedRequiredColumnsAsync(CancellationToken cancellationToken)
    {
        // Each column, then each domain it is of (a domain over a domain too): NOT NULL if any of them says so,
        // defaulted if any of them has a default.
        const string Sql =
            "WITH RECURSIVE col AS (" +
            "SELECT a.attnum AS n, a.attname AS name, a.atttypid AS typ, a.attnotnull AS required, a.atthasdef AS defaulted FROM pg_attribute a " +
            "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped " +
            "AND a.attidentity = '' AND a.attgenerated = '' AND NOT (a.attname = ANY($2::text[])) " +
            // An enabled BEFORE INSERT row trigger may fill such a column (NOT NULL is checked after it): no verdict then.
            "AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = a.attrelid AND NOT t.tgisinternal AND t.tgenabled <> 'D' " +
            "AND t.tgtype & 7 = 7)), " + // ROW (1) | BEFORE (2) | INSERT (4)

            "base AS (SELECT n, name, typ, required, defaulted FROM col " +
            "UNION ALL SELECT b.n, b.name, t.typbasetype, t.typnotnull, t.typdefaultbin IS NOT NULL FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd') " +
            "SELECT name FROM base GROUP BY n, name HAVING bool_or(required) AND NOT bool_or(defaulted) ORDER BY n";
        var missing = await CatalogRowsAsync(Sql, static reader => reader.GetString(0), cancellationToken, MappedColumnNames()).ConfigureAwait(false);

        if (missing.Count > 0)
        {
            var names = string.Join(", ", missing);
            throw new InvalidOperationException(
                $"The table {_plan.DisplayName} has {(missing.Count == 1 ? "a NOT NULL column" : "NOT NULL columns")} without a default that this store does not write: {names}. " +
                "Every insert would be refused (23502) and every record dead-lettered: map " + (missing.Count == 1 ? "it" : "them") +
                " (mapping.Column(...)), or give " + (missing.Count == 1 ? "it" : "them") + " a default (ALTER TABLE ... ALTER COLUMN ... SET DEFAULT ...) or drop NOT NULL.");
        }
    }

    /// <summary>Whether a numeric of this typmod holds a version exactly: unconstrained, or at least 16 digits before the point.</summary>
    /// <param name="typmod">The column's typmod (-1: unconstrained; else ((precision &lt;&lt; 16) | scale) + 4).</param>
    /// <returns>True when it does.</returns>
    private static bool HoldsVersions(int typmod)
    {
        if (typmod == -1)
        {
            return true;
        }

        int precision = ((typmod - 4) >> 16) & 0xFFFF;
        int scale = (typmod - 4) & 0xFFFF; // a negative scale (PostgreSQL 15) reads as a large one here, and is refused
        return precision - scale >= 16;
    }

    /// <summary>
    /// Checks, for the COPY batch form, that every column the store writes has the type it sends, or one that
    /// type is binary-coercible to (text into varchar, say; a domain counts as its base type). Binary COPY does no
    /// conversion: an integer sent into a bigint column is refused as malformed data (SQLSTATE 08P01), which would
    /// be retried as a connection fault for ever. Columns that are missing are left to the statement, whose own
    /// error (42703) is a configuration error already.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>A task.</returns>
    /// <exception cref="InvalidOperationException">A column has a type COPY cannot write into.</exception>
    private async Task CheckCopyTypesAsync(CancellationToken cancellationToken)
    {
        // Domains are followed down to their base type (a domain over a domain too); text goes into an enum as is
        // (an enum's binary form is its label's text).
        const string Sql =
            "WITH RECURSIVE col AS (" +
            "SELECT c.name, c.expected, c.n, format_type(a.atttypid, a.atttypmod) AS shown, a.atttypid AS typ " +
            "FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c(name, expected, n) " +
            "JOIN pg_attribute a ON a.attrelid = to_regclass($1) AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped), " +
            "base AS (SELECT name, expected, n, shown, typ FROM col " +
            "UNION ALL SELECT b.name, b.expected, b.n, b.shown, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd') " +
            "SELECT b.name, b.shown, b.expected FROM base b JOIN pg_type t ON t.oid = b.typ " +
            "CROSS JOIN LATERAL (SELECT to_regtype(b.expected)::oid AS sent) o " +
            "WHERE t.typtype <> 'd' AND o.sent IS DISTINCT FROM b.typ " +
            "AND NOT EXISTS (SELECT 1 FROM pg_cast k WHERE k.castsource = o.sent AND k.casttarget = b.typ AND k.castmethod = 'b') " +
            "AND NOT (t.typtype = 'e' AND o.sent IS NOT DISTINCT FROM 'text'::regtype::oid) " +
            "ORDER BY b.n";
        var problems = await CatalogRowsAsync(
            Sql,
            static reader => $"column {reader.GetString(0)} is {reader.GetString(1)}, but this store sends {reader.GetString(2)}",
            cancellationToken,
            MappedColumnNames(),
            new NpgsqlParameter<string[]> { TypedValue = _plan.Columns.Select(c => SentTypeName(c.DbType)).ToArray() }).ConfigureAwait(false);

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The table {_plan.DisplayName} does not match what the COPY batch form sends: {string.Join("; ", problems)}. " +
                "Binary COPY does no conversion: give each mapped column the NpgsqlDbType of its column, change the column, or use BatchForm Unnest, which converts.");
        }
    }

    /// <summary>
    /// Runs a query of the catalog about the store's table (its quoted name is <c>$1</c>, <paramref name="parameters"/>
    /// follow) within the store's command timeout, and reads each row with <paramref name="row"/>.
    /// </summary>
    private async Task<List<T>> CatalogRowsAsync<T>(string sql, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        var rows = new List<T>();
        var query = _dataSource.CreateCommand(sql);
        await using (query.ConfigureAwait(false))
        {
            query.CommandTimeout = _timeoutSeconds;
            query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = SqlIdentifier.Quote(_plan.Schema, _plan.Table) });
            query.Parameters.AddRange(parameters);
            var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(row(reader));
                }
            }
        }

        return rows;
    }

    /// <summary>The names of the mapped columns, as a parameter of a catalog query.</summary>
    private NpgsqlParameter<string[]> MappedColumnNames() => new() { TypedValue = _plan.Columns.Select(c => c.Name).ToArray() };

    /// <summary>The SQL name of the type Npgsql sends for <paramref name="dbType"/> (<c>integer</c>, <c>timestamp with time zone</c>, ...).</summary>
    /// <param name="dbType">The type.</param>
    /// <returns>The name.</returns>
    private static string SentTypeName(NpgsqlTypes.NpgsqlDbType dbType) => new NpgsqlParameter { NpgsqlDbType = dbType }.DataTypeName!;

    /// <summary>Reads the column types of a table.</summary>
    /// <param name="qualified">The quoted table name.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Column name to type, as <c>format_type</c> prints it.</returns>
    private async Task<Dictionary<string, string>> ReadColumnTypesAsync(string qualified, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = _dataSource.CreateCommand(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a " +
            "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped");
        await using (query.ConfigureAwait(false))
        {
            query.CommandTimeout = _timeoutSeconds;
            query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    columns[reader.GetString(0)] = reader.GetString(1);
                }
            }
        }

        return columns;
    }
}
