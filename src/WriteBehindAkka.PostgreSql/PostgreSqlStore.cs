using System.Data;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// Writes the cache's batches into PostgreSQL: upserts and deletes of a batch in one transaction, each applied
/// only where the stored version is older, so retried, replayed or reordered batches never overwrite newer data.
/// </summary>
/// <typeparam name="TKey">The key type: string (text), long (bigint), int (integer) or Guid (uuid).</typeparam>
/// <typeparam name="TValue">The cache's value type.</typeparam>
/// <remarks>
/// <para>
/// By default it writes a key/value table (see <see cref="EnsureTableAsync"/>):
/// <c>key &lt;type&gt; primary key, value jsonb|bytea not null, version bigint not null, updated_at timestamptz not null</c>,
/// with <c>value</c> in jsonb when the serializer writes JSON and bytea otherwise, and <c>updated_at</c> the
/// version's time. With a <see cref="PostgreSqlTableMapping{TKey, TValue}"/> it writes your own table's columns.
/// </para>
/// <para>Thread-safe: the pipeline's writer loops call it at once, each batch on its own pooled connection.</para>
/// </remarks>
public sealed partial class PostgreSqlStore<TKey, TValue> : IWriteBehindStore<TKey>, IAsyncDisposable
    where TKey : notnull
{
    /// <summary>The validated copy of the options.</summary>
    private readonly PostgreSqlStoreOptions _options;

    /// <summary>The cache's serializer: the format picks the value column type; custom tables deserialize with it.</summary>
    private readonly IValueSerializer<TValue> _serializer;

    /// <summary>The table, its columns and its SQL.</summary>
    private readonly TablePlan<TValue> _plan;

    /// <summary>Where connections come from.</summary>
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Whether the store made <see cref="_dataSource"/> (from a connection string) and so disposes it.</summary>
    private readonly bool _ownsDataSource;

    /// <summary>The command timeout in whole seconds.</summary>
    private readonly int _timeoutSeconds;

    /// <summary>Lets one caller create the table when <see cref="PostgreSqlStoreOptions.CreateTableIfMissing"/> is set.</summary>
    private readonly SemaphoreSlim _ensureGate = new(1, 1);

    /// <summary>Whether the table is known to exist (set after the first successful creation check).</summary>
    private volatile bool _tableReady;

    /// <summary>Set once the table is known to take the store's inserts (no unmapped NOT NULL column without a default; with COPY, column types it can copy into).</summary>
    private volatile bool _insertsChecked;

    /// <summary>1 once disposed.</summary>
    private int _disposed;

    /// <summary>Creates a store that writes the default key/value table.</summary>
    /// <param name="options">The options; validated and copied.</param>
    /// <param name="serializer">The cache's serializer.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> is not string, long, int or Guid.</exception>
    public PostgreSqlStore(PostgreSqlStoreOptions options, IValueSerializer<TValue> serializer)
        : this(options, serializer, null)
    {
    }

    /// <summary>Creates a store that writes a custom table described by a mapping (or the default table when it is <see langword="null"/>).</summary>
    /// <param name="options">The options; validated and copied.</param>
    /// <param name="serializer">The cache's serializer.</param>
    /// <param name="mapping">The mapping; copied, so later changes to it change nothing.</param>
    /// <exception cref="ArgumentException">The options or the mapping are invalid; the message lists every problem.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> is not string, long, int or Guid.</exception>
    public PostgreSqlStore(PostgreSqlStoreOptions options, IValueSerializer<TValue> serializer, PostgreSqlTableMapping<TKey, TValue>? mapping)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        var key = KeyTypes.For(typeof(TKey));
        _options = options.ValidatedCopy(mapping is not null, mapping?.Problems(options.BatchForm) ?? []);
        _serializer = serializer;
        _plan = mapping is null
            ? TablePlan<TValue>.ForDefaultTable(_options.Schema, _options.Table, key, serializer.Format)
            : TablePlan<TValue>.ForMapping(mapping, key);
        _timeoutSeconds = (int)_options.CommandTimeout.TotalSeconds;
        _ownsDataSource = _options.DataSource is null;
        _dataSource = _options.DataSource ?? NpgsqlDataSource.Create(_options.ConnectionString!);
        DeadLetters = _options.DeadLetterTable is null
            ? null
            : new PostgreSqlDeadLetterStore<TKey>(_dataSource, _options.DeadLetterSchema, _options.DeadLetterTable, _plan.DisplayName, _options.CommandTimeout);
    }

    /// <summary>Gets the table the store writes, as <c>schema.table</c> (both parts quoted when one holds a dot or a double quote).</summary>
    public string TableName => _plan.DisplayName;

    /// <summary>Gets how batches are sent.</summary>
    public PostgreSqlBatchForm BatchForm => _options.BatchForm;

    /// <summary>
    /// Gets the dead-letter table of this store (<see cref="PostgreSqlStoreOptions.DeadLetterTable"/>), or
    /// <see langword="null"/> when it keeps none. A cache over this store records refused writes there unless it
    /// is given another sink.
    /// </summary>
    public PostgreSqlDeadLetterStore<TKey>? DeadLetters { get; }

    /// <inheritdoc />
    IDeadLetterStore<TKey>? IWriteBehindStore<TKey>.DeadLetters => DeadLetters;

    /// <inheritdoc />
    /// <exception cref="PostgreSqlMappingException">A custom table's value could not be mapped (permanent).</exception>
    /// <exception cref="NpgsqlException">The server or the connection failed; see <see cref="Classify"/>.</exception>
    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        if (batch.Count == 0)
        {
            return;
        }

        await EnsureReadyAsync(forWrite: true, cancellationToken).ConfigureAwait(false);
        var rows = BatchRows<TKey>.Build(batch, _plan, _serializer);
        if (_options.BatchForm == PostgreSqlBatchForm.Copy)
        {
            try
            {
                await WriteCopyAsync(rows, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException malformed) when (malformed.SqlState is PostgresErrorCodes.ProtocolViolation or PostgresErrorCodes.InvalidBinaryRepresentation)
            {
                // What binary COPY says when a column's type changed under the store (ALTER COLUMN ... TYPE): an
                // integer sent into a bigint is cut short (08P01, a connection error to the classifier, retried for
                // ever), a bigint into an integer is malformed (22P03, a refused row, dead-lettered). Check again:
                // a mismatch is a configuration error naming the column (the server's error kept as its cause, for
                // its SQLSTATE); each later COPY that fails so checks again, and loads, which convert, go on.
                try
                {
                    await CheckCopyTypesAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException mismatch)
                {
                    throw new PostgreSqlConfigurationException(mismatch.Message, malformed);
                }

                throw;
            }
        }
        else
        {
            await WriteUnnestAsync(rows, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The default table returns the stored bytes and version. A custom table reads the whole row
    /// (<c>SELECT *</c>), builds the value with the mapping's <c>FromRow</c> and serializes it; the version is the
    /// version column's, else the updated-at column's time as a version, else 0.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A custom table has no <c>FromRow</c> reader.</exception>
    /// <exception cref="PostgreSqlMappingException">The row reader or the serializer threw.</exception>
    public async ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfDisposed();
        ThrowIfNoRowReader();
        await EnsureReadyAsync(forWrite: false, cancellationToken).ConfigureAwait(false);
        return await ReadRowAsync(
            _plan.IsDefaultTable ? _plan.Sql.LoadSerialized : _plan.Sql.LoadRow,
            key,
            reader => _plan.IsDefaultTable ? new StoredEntry(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1)) : ReadMappedRow(key, reader),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One query for all the keys (<c>unnest</c> of a key array joined to the table), read as <see cref="LoadAsync"/>
    /// reads one row.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A custom table has no <c>FromRow</c> reader.</exception>
    /// <exception cref="PostgreSqlMappingException">The row reader or the serializer threw.</exception>
    public async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ThrowIfDisposed();
        ThrowIfNoRowReader();
        await EnsureReadyAsync(forWrite: false, cancellationToken).ConfigureAwait(false);
        var rows = new StoredEntry?[keys.Count];
        var command = _dataSource.CreateCommand(_plan.IsDefaultTable ? _plan.Sql.LoadManySerialized : _plan.Sql.LoadManyRows);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<TKey[]> { TypedValue = [.. keys], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | _plan.Key.DbType });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (_plan.IsDefaultTable)
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        int index = (int)reader.GetInt64(2) - 1;
                        rows[index] ??= new StoredEntry(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1));
                    }
                }
                else
                {
                    // One row per key, in order, exactly as SELECT * shows it to FromRow; a NULL key column is a miss.
                    int keyOrdinal = reader.GetOrdinal(_plan.Key.Name);
                    for (int index = 0; await reader.ReadAsync(cancellationToken).ConfigureAwait(false); index++)
                    {
                        Debug.Assert(index < keys.Count, "DISTINCT ON the key's place answers at most one row per key.");
                        if (!reader.IsDBNull(keyOrdinal))
                        {
                            rows[index] = ReadMappedRow(keys[index], reader);
                        }
                    }
                }
            }
        }

        return rows;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reads the guard column alone (the version, or the updated-at column's time as a version; 0 for a NULL or
    /// without a guard), so it needs no <c>FromRow</c> reader: dead letters of a custom table without read-through
    /// can be retried.
    /// </remarks>
    public async ValueTask<long?> LoadVersionAsync(TKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfDisposed();
        await EnsureReadyAsync(forWrite: false, cancellationToken).ConfigureAwait(false);
        return await ReadRowAsync<long?>(
            _plan.Sql.LoadVersion,
            key,
            reader => reader.IsDBNull(0) ? 0
                : _plan.Guard == VersionGuard.UpdatedAt ? Versioning.FromTimestamp(reader.GetFieldValue<DateTimeOffset>(0))
                : reader.GetInt64(0),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses a read-through of a custom table whose mapping has no <c>FromRow</c>: nothing could build its values.</summary>
    private void ThrowIfNoRowReader()
    {
        if (!_plan.IsDefaultTable && _plan.RowReader is null)
        {
            throw new InvalidOperationException(
                $"Read-through from {_plan.DisplayName} needs to know how to build a {typeof(TValue).Name} from a row: " +
                "call mapping.FromRow(row => new ...(row.GetInt32(row.GetOrdinal(\"column\")), ...)) when you build the mapping, or turn read-through off.");
        }
    }

    /// <summary>Runs a one-row query of <paramref name="key"/> and reads its row; the default (null) when there is none.</summary>
    private async ValueTask<T?> ReadRowAsync<T>(string sql, TKey key, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(sql);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = _timeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<TKey> { TypedValue = key, NpgsqlDbType = _plan.Key.DbType });
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? read(reader) : default;
            }
        }
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostgreSqlErrorClassifier.Classify(error);
    }

    /// <inheritdoc />
    /// <returns>The SQLSTATE of the server error in the exception's chain, or <see langword="null"/> for a client-side error.</returns>
    public string? GetErrorCode(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostgreSqlErrorClassifier.SqlStateOf(error);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Only a statement that ran too long: the server's <c>statement_timeout</c> (57014) or <c>transaction_timeout</c>
    /// (25P04), or Npgsql's command timeout (its answer did not come in time). Not a timeout to connect or to get a
    /// pooled connection.
    /// </remarks>
    public bool IsTimeout(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostgreSqlErrorClassifier.IsTimeout(error);
    }

    /// <inheritdoc />
    /// <returns>
    /// For string keys: a key with a NUL character (PostgreSQL text cannot hold one, so every batch with it fails),
    /// or with half of a surrogate pair (it has no UTF-8 form, so Npgsql refuses to send it). <see langword="null"/> otherwise.
    /// </returns>
    public string? GetKeyError(TKey key)
    {
        if (typeof(TKey) != typeof(string) || key is not string text)
        {
            return null;
        }

        return TextKeyRules.Problem(text) is { } problem ? $"{problem}: {_plan.DisplayName} could never store the write." : null;
    }

    /// <summary>Disposes the data source when the store made it from a connection string; a given one is left alone.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }

        _ensureGate.Dispose();
    }

    /// <summary>
    /// Refuses use after <see cref="DisposeAsync"/> with a message that names the table and the usual cause: a store
    /// disposed before the cache that writes through it (the cache's pending writes then fail against it).
    /// </summary>
    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(
                "PostgreSqlStore",
                $"The PostgreSqlStore of {_plan.DisplayName} is disposed. Dispose (or shut down) the caches that write through it first and the store after them: with 'await using', declare the store before the cache.");
        }
    }

    /// <summary>Builds a stored entry from a custom table's row.</summary>
    /// <param name="key">The key, for messages.</param>
    /// <param name="row">The row.</param>
    /// <returns>The entry.</returns>
    private StoredEntry ReadMappedRow(TKey key, NpgsqlDataReader row)
    {
        byte[] bytes;
        try
        {
            bytes = _serializer.Serialize(_plan.RowReader!(row));
        }
        catch (Exception ex)
        {
            throw new PostgreSqlMappingException(
                string.Create(CultureInfo.InvariantCulture, $"The row of key '{key}' in {_plan.DisplayName} could not be turned into a {typeof(TValue).Name}: {ex.Message} ") +
                "Fix the reader given to mapping.FromRow (read columns by name with row.GetOrdinal), or the serializer.",
                ex);
        }

        long version = 0;
        if (_plan.VersionColumn is { } versionColumn)
        {
            var ordinal = row.GetOrdinal(versionColumn.Name);
            version = row.IsDBNull(ordinal) ? 0 : row.GetInt64(ordinal);
        }
        else if (_plan.UpdatedAtColumn is { } updatedAtColumn)
        {
            var ordinal = row.GetOrdinal(updatedAtColumn.Name);
            version = row.IsDBNull(ordinal) ? 0 : Versioning.FromTimestamp(row.GetFieldValue<DateTimeOffset>(ordinal));
        }

        return new StoredEntry(bytes, version);
    }
}
