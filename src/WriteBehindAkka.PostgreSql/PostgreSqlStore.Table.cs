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
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_plan.IsDefaultTable)
        {
            throw new InvalidOperationException(
                $"EnsureTableAsync creates the default key/value table only, but this store writes the custom table {_plan.DisplayName}: " +
                "create that table with your own migrations.");
        }

        var qualified = SqlIdentifier.Quote(_plan.Schema, _plan.Table);
        var valueType = _plan.Columns[1].DbType == NpgsqlTypes.NpgsqlDbType.Jsonb ? "jsonb" : "bytea";
        var ddl = (_plan.Schema == PostgreSqlStoreDefaults.Schema ? string.Empty : $"CREATE SCHEMA IF NOT EXISTS {SqlIdentifier.Quote(_plan.Schema)}; ") +
            $"CREATE TABLE IF NOT EXISTS {qualified} (" +
            $"\"{TablePlan<TValue>.DefaultKey}\" {_plan.KeySqlType} PRIMARY KEY, " +
            $"\"{TablePlan<TValue>.DefaultValue}\" {valueType} NOT NULL, " +
            $"\"{TablePlan<TValue>.DefaultVersion}\" bigint NOT NULL, " +
            $"\"{TablePlan<TValue>.DefaultUpdatedAt}\" timestamptz NOT NULL)";
        // Look before creating: PostgreSQL checks the CREATE privilege before IF NOT EXISTS, and a role that may
        // write the table need not be allowed to create one.
        var exists = _dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        bool present;
        await using (exists.ConfigureAwait(false))
        {
            exists.CommandTimeout = _timeoutSeconds;
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            present = await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }

        if (!present)
        {
            var create = _dataSource.CreateCommand(ddl);
            await using (create.ConfigureAwait(false))
            {
                create.CommandTimeout = _timeoutSeconds;
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
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

    /// <summary>Creates the table before the first write or load when <see cref="PostgreSqlStoreOptions.CreateTableIfMissing"/> is set.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    private async ValueTask EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (_tableReady)
        {
            return;
        }

        await _ensureGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_tableReady)
            {
                try
                {
                    await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException mismatch)
                {
                    // The table exists with other columns: no retry of these records, nor splitting them, can help.
                    throw new PostgreSqlConfigurationException(mismatch.Message, mismatch);
                }

                _tableReady = true;
            }
        }
        finally
        {
            _ensureGate.Release();
        }
    }

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
