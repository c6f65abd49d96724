using Npgsql;

namespace WriteBehindAkka.PostgreSql;

/// <summary>Runs a table's create-if-missing DDL so that two processes creating it at the same moment both succeed.</summary>
internal static class TableCreation
{
    /// <summary>
    /// Runs <paramref name="ddl"/> (<c>CREATE SCHEMA / TABLE IF NOT EXISTS</c>). Concurrent <c>IF NOT EXISTS</c> DDL is
    /// not atomic in PostgreSQL: the loser of the race fails with a duplicate in the catalog (23505, 42P07, 42P06 or
    /// 42710). That loser checks the table is there now and carries on instead of failing its batch, its load or its
    /// dead letter (23505 reads as a refused row).
    /// </summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="qualified">The quoted table name.</param>
    /// <param name="ddl">The DDL.</param>
    /// <param name="timeoutSeconds">The command timeout.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public static async Task CreateIfMissingAsync(NpgsqlDataSource dataSource, string qualified, string ddl, int timeoutSeconds, CancellationToken cancellationToken)
    {
        try
        {
            var create = dataSource.CreateCommand(ddl);
            await using (create.ConfigureAwait(false))
            {
                create.CommandTimeout = timeoutSeconds;
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException raced) when (raced.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateObject)
        {
            if (!await ExistsAsync(dataSource, qualified, timeoutSeconds, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
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
