using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// The dead-letter table of a <see cref="PostgreSqlStore{TKey, TValue}"/>: the writes PostgreSQL refused for good,
/// one row per key (the newest failed version), in the same database. Get it from
/// <see cref="PostgreSqlStore{TKey, TValue}.DeadLetters"/>; the cache uses it unless it is given another sink.
/// </summary>
/// <typeparam name="TKey">The key type: string, long, int or Guid.</typeparam>
/// <remarks>
/// <para>
/// The table (created on first use when it is missing; see <see cref="EnsureTableAsync"/>):
/// <c>source text, key text, operation text, value bytea, version bigint, error text, sqlstate text,
/// error_kind text, failed_at timestamptz, primary key (source, key)</c>. <c>source</c> is the written table
/// (<see cref="PostgreSqlStore{TKey, TValue}.TableName"/>), so several stores can share one dead-letter table; <c>key</c> is the key as text;
/// <c>value</c> the serialized value (NULL for a delete).
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class PostgreSqlDeadLetterStore<TKey> : IDeadLetterStore<TKey>
    where TKey : notnull
{
    /// <summary>Column list, in insert order.</summary>
    private const string Columns = "source, key, operation, value, version, error, sqlstate, error_kind, failed_at";

    private readonly NpgsqlDataSource _dataSource;
    private readonly int _timeoutSeconds;
    private readonly string _schema;
    private readonly string _qualified;
    private readonly string _upsert;
    private readonly string _list;
    private readonly string _count;
    private readonly string _get;
    private readonly string _delete;
    private readonly SemaphoreSlim _ensureGate = new(1, 1);
    private volatile bool _tableReady;

    /// <summary>Creates the store over a data source the caller keeps owning.</summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="schema">The dead-letter table's schema (validated).</param>
    /// <param name="table">The dead-letter table (validated).</param>
    /// <param name="source">The table whose refused writes this store keeps, as <c>schema.table</c>.</param>
    /// <param name="commandTimeout">The command timeout.</param>
    internal PostgreSqlDeadLetterStore(NpgsqlDataSource dataSource, string schema, string table, string source, TimeSpan commandTimeout)
    {
        _dataSource = dataSource;
        _timeoutSeconds = (int)commandTimeout.TotalSeconds;
        Source = source;
        TableName = SqlIdentifier.Display(schema, table);
        _schema = schema;
        _qualified = SqlIdentifier.Quote(schema, table);
        _upsert =
            $"INSERT INTO {_qualified} AS d ({Columns}) " +
            "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bytea[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) " +
            "ON CONFLICT (source, key) DO UPDATE SET operation = excluded.operation, value = excluded.value, version = excluded.version, " +
            "error = excluded.error, sqlstate = excluded.sqlstate, error_kind = excluded.error_kind, failed_at = excluded.failed_at " +
            "WHERE d.version <= excluded.version";
        _list = $"SELECT {Columns} FROM {_qualified} WHERE source = $1 ORDER BY failed_at, key OFFSET $2 LIMIT $3";
        _count = $"SELECT count(*) FROM {_qualified} WHERE source = $1";
        _get = $"SELECT {Columns} FROM {_qualified} WHERE source = $1 AND key = $2";
        _delete = $"DELETE FROM {_qualified} WHERE source = $1 AND key = $2 AND version = $3 AND failed_at = $4";
    }

    /// <summary>Gets the dead-letter table, as <c>schema.table</c> (both parts quoted when one holds a dot or a double quote).</summary>
    public string TableName { get; }

    /// <summary>Gets the table whose refused writes this store keeps (the <c>source</c> column), as <see cref="PostgreSqlStore{TKey, TValue}.TableName"/> names it.</summary>
    public string Source { get; }

    /// <summary>Creates the dead-letter table (and its schema) if it is missing. Writes call it on first use.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public async Task EnsureTableAsync(CancellationToken cancellationToken = default)
    {
        // Look before creating: a role that may write the table need not be allowed to create one.
        if (!await TableCreation.ExistsAsync(_dataSource, _qualified, _timeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            await TableCreation.CreateIfMissingAsync(
                _dataSource,
                _schema,
                _qualified,
                $"CREATE TABLE IF NOT EXISTS {_qualified} (source text NOT NULL, key text NOT NULL, operation text NOT NULL, value bytea, " +
                "version bigint NOT NULL, error text NOT NULL, sqlstate text, error_kind text NOT NULL, failed_at timestamptz NOT NULL, " +
                "PRIMARY KEY (source, key))",
                _timeoutSeconds,
                cancellationToken).ConfigureAwait(false);
        }

        _tableReady = true;
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<DeadLetter<TKey>> letters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letters);
        if (letters.Count == 0)
        {
            return;
        }

        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(_upsert);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Source });
            command.Parameters.Add(Array(letters, l => DeadLetterKeys<TKey>.ToText(l.Key), NpgsqlDbType.Text));
            command.Parameters.Add(Array(letters, l => l.Operation == WriteOperation.Delete ? "delete" : "upsert", NpgsqlDbType.Text));
            command.Parameters.Add(Array(letters, l => l.Value, NpgsqlDbType.Bytea));
            command.Parameters.Add(Array(letters, l => l.Version, NpgsqlDbType.Bigint));
            command.Parameters.Add(Array(letters, l => Text(l.Error), NpgsqlDbType.Text));
            command.Parameters.Add(Array(letters, l => l.ErrorCode is null ? null : Text(l.ErrorCode), NpgsqlDbType.Text));
            command.Parameters.Add(Array(letters, l => l.ErrorKind.ToString(), NpgsqlDbType.Text));
            command.Parameters.Add(Array(letters, l => l.FailedAt.UtcDateTime, NpgsqlDbType.TimestampTz));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Classified like the store's own errors: a missing table or privilege is a configuration error (retried).</remarks>
    public StoreErrorKind Classify(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostgreSqlErrorClassifier.Classify(error);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DeadLetter<TKey>>> ListAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(_list);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Source });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = offset });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<long> CountAsync(CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(_count);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Source });
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <inheritdoc />
    public async ValueTask<DeadLetter<TKey>?> GetAsync(TKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(_get);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Source });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeadLetterKeys<TKey>.ToText(key) });
            var letters = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
            return letters.Count == 0 ? null : letters[0];
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(DeadLetter<TKey> letter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(_delete);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Source });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeadLetterKeys<TKey>.ToText(letter.Key) });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = letter.Version });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = letter.FailedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    /// <summary>
    /// Text PostgreSQL can hold: NUL characters, and halves of UTF-16 surrogate pairs (which have no UTF-8 form, so
    /// the letter's write failed for good and the refused record stayed in memory only), become U+FFFD.
    /// </summary>
    private static string Text(string value) => TextKeyRules.Storable(value);

    private static NpgsqlParameter Array<T>(IReadOnlyList<DeadLetter<TKey>> letters, Func<DeadLetter<TKey>, T> select, NpgsqlDbType type)
    {
        var values = new T[letters.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = select(letters[i]);
        }

        return new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };
    }

    private static async Task<List<DeadLetter<TKey>>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter<TKey>>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                letters.Add(new DeadLetter<TKey>(
                    DeadLetterKeys<TKey>.Parse(reader.GetString(1)),
                    reader.GetString(2) == "delete" ? WriteOperation.Delete : WriteOperation.Upsert,
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
                    reader.GetInt64(4),
                    reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    Enum.TryParse<StoreErrorKind>(reader.GetString(7), out var kind) ? kind : StoreErrorKind.Permanent,
                    reader.GetFieldValue<DateTimeOffset>(8)));
            }
        }

        return letters;
    }

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
                await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _ensureGate.Release();
        }
    }
}
