using Npgsql;

namespace WriteBehindAkka.PostgreSql;

/// <summary>Runs a table's create-if-missing DDL so that two processes creating it at the same moment both succeed.</summary>
internal static class TableCreation
{
    /// <summary>
    /// Runs <paramref name="tableDdl"/> (<c>CREATE TABLE IF NOT EXISTS</c>), preceded by <c>CREATE SCHEMA IF NOT EXISTS</c>
    /// only when the schema is missing: PostgreSQL checks the database's CREATE privilege before it looks whether
    /// the schema exists, and an application role commonly owns its schema without that privilege. Concurrent
    /// <c>IF NOT EXISTS</c> DDL is not atomic in PostgreSQL: the loser of the race fails with a duplicate in the
    /// catalog (23505, 42P07, 42P06 or 42710). That loser checks the table is there now and carries on instead of
    /// failing its batch, its load or its dead letter (23505 reads as a refused row).
    /// </summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="schema">The schema, unquoted.</param>
    /// <param name="qualified">The quoted table name.</param>
    /// <param name="tableDdl">The <c>CREATE TABLE IF NOT EXISTS</c> statement.</param>
    /// <param name="timeoutSeconds">The command timeout.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public static async Task CreateIfMissingAsync(NpgsqlDataSource dataSource, string schema, string qualified, string tableDdl, int timeoutSeconds, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var ddl = await SchemaExistsAsync(dataSource, schema, timeoutSeconds, cancellationToken).ConfigureAwait(false)
                    ? tableDdl
                    : $"CREATE SCHEMA IF NOT EXISTS {SqlIdentifier.Quote(schema)}; {tableDdl}";
                await RunAsync(dataSource, ddl, timeoutSeconds, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException raced) when (raced.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateObject)
            {
                if (await ExistsAsync(dataSource, qualified, timeoutSeconds, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                if (attempt >= MaxAttempts)
                {
                    // Not a race any more (a type of the table's name, say): a configuration error, never a refused row.
                    throw new PostgreSqlConfigurationException($"Creating the table {qualified} failed {MaxAttempts} times with {raced.SqlState}: {raced.MessageText}", raced);
                }

                // The race was over something else the DDL makes (the schema, which another table was being created
                // in at the same moment): that is there now, so the DDL is run again (and may meet the next racer).
            }
        }
    }

    /// <summary>Whether a schema exists (by its exact name).</summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="schema">The schema, unquoted.</param>
    /// <param name="timeoutSeconds">The command timeout.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>True when it exists.</returns>
    private static async Task<bool> SchemaExistsAsync(NpgsqlDataSource dataSource, string schema, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var exists = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)");
        await using (exists.ConfigureAwait(false))
        {
            exists.CommandTimeout = timeoutSeconds;
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            return await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
    }

    /// <summary>How many times the DDL is run when it keeps losing races (each loss means another process made progress).</summary>
    private const int MaxAttempts = 5;

    private static async Task RunAsync(NpgsqlDataSource dataSource, string ddl, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var create = dataSource.CreateCommand(ddl);
        await using (create.ConfigureAwait(false))
        {
            create.CommandTimeout = timeoutSeconds;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the table exists.</summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="qualified">The quoted table name.</param>
    /// <param name="timeoutSeconds">The command timeout.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>True when it exists.</returns>
    public static async Task<bool> ExistsAsync(NpgsqlDataSource dataSource, string qualified, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var exists = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        await using (exists.ConfigureAwait(false))
        {
            exists.CommandTimeout = timeoutSeconds;
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualified });
            return await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
    }
}
