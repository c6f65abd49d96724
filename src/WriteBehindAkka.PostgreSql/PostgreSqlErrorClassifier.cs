using System.Net.Sockets;
using Npgsql;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// Decides whether a store error can go away on retry. The SQLSTATE table is here and nowhere else.
/// </summary>
/// <remarks>
/// Transient: the connection or the server's state failed, not the data. Permanent: the server refused the data
/// (or the statement), or the value could not be mapped, so the same batch would fail again and must be split.
/// </remarks>
internal static class PostgreSqlErrorClassifier
{
    /// <summary>SQLSTATE classes (first two characters) that are transient.</summary>
    private static readonly HashSet<string> TransientClasses = new(StringComparer.Ordinal)
    {
        "08", // connection_exception: the connection failed or could not be made
        "53", // insufficient_resources: disk full, out of memory, too many connections (53300)
    };

    /// <summary>SQLSTATEs that are transient.</summary>
    private static readonly HashSet<string> TransientStates = new(StringComparer.Ordinal)
    {
        "40001", // serialization_failure
        "40P01", // deadlock_detected
        "55P03", // lock_not_available
        "57014", // query_canceled (statement_timeout, or cancelled by the command timeout)
        "57P01", // admin_shutdown
        "57P02", // crash_shutdown
        "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
        "57P05", // idle_session_timeout
        "58000", // system_error
        "58030", // io_error
    };

    /// <summary>SQLSTATE classes that are permanent: the data or the statement was refused.</summary>
    private static readonly HashSet<string> PermanentClasses = new(StringComparer.Ordinal)
    {
        "22", // data_exception: value too long, invalid text representation, numeric out of range, bad JSON
        "23", // integrity_constraint_violation: NOT NULL, CHECK, foreign key, unique
        "42", // syntax_error_or_access_rule_violation: undefined table or column, insufficient privilege
    };

    /// <summary>Classifies a SQLSTATE.</summary>
    /// <param name="sqlState">The five-character code.</param>
    /// <param name="npgsqlSaysTransient">Npgsql's own judgement (<see cref="NpgsqlException.IsTransient"/>), used for codes in no list.</param>
    /// <returns>
    /// Permanent for classes 22, 23 and 42; transient for the listed codes and classes; otherwise Npgsql's judgement,
    /// and permanent when it has none (the server refused the statement for a reason a retry does not change).
    /// </returns>
    internal static StoreErrorKind ClassifySqlState(string sqlState, bool npgsqlSaysTransient = false)
    {
        var sqlClass = sqlState.Length >= 2 ? sqlState[..2] : sqlState;
        if (PermanentClasses.Contains(sqlClass))
        {
            return StoreErrorKind.Permanent;
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
}
