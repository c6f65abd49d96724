using System.Net.Sockets;
using Npgsql;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// Decides whether a store error can go away on retry, and whose fault it is. The SQLSTATE table is here and nowhere else.
/// </summary>
/// <remarks>
/// <para>Transient: the connection or the server's state failed, not the data; retried with backoff.</para>
/// <para>
/// Configuration: the statement cannot run whatever the data (a missing table, column or schema, a missing
/// privilege, a read-only server, bad credentials): retried with backoff until an operator fixes it, and never
/// blamed on the records, since splitting the batch would dead-letter every one of them.
/// </para>
/// <para>
/// Permanent: the server refused the data, or a value could not be mapped; the same records would fail again,
/// so the batch is split to isolate them.
/// </para>
/// </remarks>
internal static class PostgreSqlErrorClassifier
{
    /// <summary>SQLSTATE classes (first two characters) that are transient.</summary>
    private static readonly HashSet<string> TransientClasses = new(StringComparer.Ordinal)
    {
        "08", // connection_exception: the connection failed or could not be made
        "53", // insufficient_resources: disk full, out of memory, too many connections (53300)
        "58", // system_error: I/O errors (58030), a relation's file that could not be opened (58P01): the server's storage, not the row
    };

    /// <summary>SQLSTATEs that are transient.</summary>
    private static readonly HashSet<string> TransientStates = new(StringComparer.Ordinal)
    {
        "40001", // serialization_failure
        "40P01", // deadlock_detected
        "55P03", // lock_not_available
        "57014", // query_canceled (statement_timeout, or cancelled by the command timeout)
        "57P01", // admin_shutdown (also pg_terminate_backend)
        "57P02", // crash_shutdown
        "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
        "57P05", // idle_session_timeout
        "25P03", // idle_in_transaction_session_timeout: the server ended the session
        "25P04", // transaction_timeout (PostgreSQL 17): the server ended the session
    };

    /// <summary>SQLSTATE classes that are configuration errors: the statement cannot run whatever the data.</summary>
    private static readonly HashSet<string> ConfigurationClasses = new(StringComparer.Ordinal)
    {
        "0A", // feature_not_supported: the table cannot take this statement (for example ON CONFLICT on a view)
        "28", // invalid_authorization_specification: bad user or password
        "3D", // invalid_catalog_name: the database does not exist
        "3F", // invalid_schema_name: the schema does not exist
        "42", // syntax_error_or_access_rule_violation: undefined table (42P01) or column (42703), insufficient privilege (42501)
    };

    /// <summary>SQLSTATEs that are configuration errors.</summary>
    private static readonly HashSet<string> ConfigurationStates = new(StringComparer.Ordinal)
    {
        "25006", // read_only_sql_transaction: connected to a standby, or default_transaction_read_only is on
        "26000", // invalid_sql_statement_name: a prepared statement gone, as behind PgBouncer in transaction mode with Max Auto Prepare
        "55000", // object_not_in_prerequisite_state: a published table without a replica identity refuses every UPDATE and DELETE (Npgsql calls it transient)
        "57P04", // database_dropped
        "XX001", // data_corrupted: a table's page cannot be read; every write to it fails until an operator repairs it
        "XX002", // index_corrupted: every write through the index fails until it is rebuilt (REINDEX)
    };

    /// <summary>SQLSTATE classes that are permanent: the data was refused.</summary>
    private static readonly HashSet<string> PermanentClasses = new(StringComparer.Ordinal)
    {
        "22", // data_exception: value too long (22001), invalid text representation (22P02), numeric out of range (22003), bad JSON
        "23", // integrity_constraint_violation: NOT NULL, CHECK, foreign key, unique
    };

    /// <summary>Classifies a SQLSTATE.</summary>
    /// <param name="sqlState">The five-character code.</param>
    /// <param name="npgsqlSaysTransient">Npgsql's own judgement (<see cref="NpgsqlException.IsTransient"/>), used for codes in no list.</param>
    /// <returns>
    /// Permanent for classes 22 and 23; configuration for classes 0A, 28, 3D, 3F and 42 and the listed codes;
    /// transient for the listed codes and classes; otherwise Npgsql's judgement, and permanent when it has none
    /// (for example a trigger's RAISE EXCEPTION, P0001, which judges the data).
    /// </returns>
    internal static StoreErrorKind ClassifySqlState(string sqlState, bool npgsqlSaysTransient = false)
    {
        var sqlClass = sqlState.Length >= 2 ? sqlState[..2] : sqlState;
        if (PermanentClasses.Contains(sqlClass))
        {
            return StoreErrorKind.Permanent;
        }

        if (ConfigurationClasses.Contains(sqlClass) || ConfigurationStates.Contains(sqlState))
        {
            return StoreErrorKind.Configuration;
        }

        return TransientStates.Contains(sqlState) || TransientClasses.Contains(sqlClass) || npgsqlSaysTransient
            ? StoreErrorKind.Transient
            : StoreErrorKind.Permanent;
    }

    /// <summary>Classifies an exception thrown by the store, looking through wrapping exceptions.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>The kind.</returns>
    internal static StoreErrorKind Classify(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgreSqlMappingException:
                    return StoreErrorKind.Permanent;
                case PostgreSqlConfigurationException:
                    return StoreErrorKind.Configuration;
                case PostgresException { SqlState: "23514", Routine: "ExecFindPartition" }:
                    // "no partition of relation ... found for row" (told by the server's routine, which is not
                    // translated): a partition to create, not a row to refuse.
                    return StoreErrorKind.Configuration;
                case PostgresException { InvariantSeverity: "FATAL" or "PANIC" } fatal:
                    // A FATAL error ends the session: another connection can succeed (transient), unless the session
                    // cannot start at all (bad credentials, an invalid setting such as -c statement_timeout=abc,
                    // 22023): no single row causes that, so it is configuration, never a refused row.
                    return ClassifySqlState(fatal.SqlState, npgsqlSaysTransient: true) is var kind && kind == StoreErrorKind.Permanent
                        ? StoreErrorKind.Configuration
                        : kind;
                case PostgresException postgres:
                    return ClassifySqlState(postgres.SqlState, postgres.IsTransient);
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return Classify(aggregate.InnerExceptions[0]);
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return StoreErrorKind.Transient;
                case TimeoutException or IOException or SocketException:
                    return StoreErrorKind.Transient;
                default:
                    // NpgsqlException that is not transient and OperationCanceledException: look at the cause.
                    continue;
            }
        }

        // A client-side NpgsqlException with no cause (a broken or closed connection) or a cancellation can
        // succeed on retry; anything else (invalid cast of a value, serializer error) cannot.
        return error is NpgsqlException or OperationCanceledException ? StoreErrorKind.Transient : StoreErrorKind.Permanent;
    }

    /// <summary>
    /// Whether an exception says a statement ran too long: the server's <c>statement_timeout</c> (57014) or
    /// <c>transaction_timeout</c> (25P04), or Npgsql's command timeout (a read of the answer that timed out). Not a
    /// timeout to connect or to get a pooled connection: those say the server is unreachable or busy, not that the
    /// batch is too big, and splitting the batch would not help.
    /// </summary>
    /// <param name="error">The exception.</param>
    /// <returns>True for a statement that timed out.</returns>
    internal static bool IsTimeout(Exception error)
    {
        if (SqlStateOf(error) is PostgresErrorCodes.QueryCanceled or "25P04")
        {
            return true;
        }

        for (var current = error; current is not null; current = current.InnerException)
        {
            // Npgsql's own wording (not translated): the command was sent and its answer did not come in time.
            if (current is NpgsqlException { InnerException: TimeoutException } npgsql
                && npgsql.Message.StartsWith("Exception while reading from stream", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Returns the SQLSTATE of the first server error in an exception's chain.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>The SQLSTATE, or <see langword="null"/> when no server error is in the chain.</returns>
    internal static string? SqlStateOf(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.SqlState;
            }

            if (current is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
            {
                return SqlStateOf(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }
}
