using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

public sealed class PostgreSqlErrorClassifierTests
{
    /// <summary>A server error; a constraint violation names its constraint, as the server's do.</summary>
    private static PostgresException Server(string sqlState) =>
        new("message", "ERROR", "ERROR", sqlState, constraintName: sqlState.StartsWith("23", StringComparison.Ordinal) ? "a_constraint" : null, routine: "a_routine");

    [Theory]
    [InlineData("08000", StoreErrorKind.Transient)] // connection_exception
    [InlineData("08006", StoreErrorKind.Transient)] // connection_failure
    [InlineData("40001", StoreErrorKind.Transient)] // serialization_failure
    [InlineData("40P01", StoreErrorKind.Transient)] // deadlock_detected
    [InlineData("53300", StoreErrorKind.Transient)] // too_many_connections
    [InlineData("53100", StoreErrorKind.Transient)] // disk_full
    [InlineData("55P03", StoreErrorKind.Transient)] // lock_not_available
    [InlineData("57014", StoreErrorKind.Transient)] // query_canceled
    [InlineData("57P01", StoreErrorKind.Transient)] // admin_shutdown
    [InlineData("57P02", StoreErrorKind.Transient)] // crash_shutdown
    [InlineData("57P03", StoreErrorKind.Transient)] // cannot_connect_now
    [InlineData("22001", StoreErrorKind.Permanent)] // string_data_right_truncation
    [InlineData("22003", StoreErrorKind.Permanent)] // numeric_value_out_of_range
    [InlineData("22021", StoreErrorKind.Permanent)] // character_not_in_repertoire (NUL in text)
    [InlineData("22P02", StoreErrorKind.Permanent)] // invalid_text_representation
    [InlineData("23502", StoreErrorKind.Permanent)] // not_null_violation
    [InlineData("23503", StoreErrorKind.Permanent)] // foreign_key_violation
    [InlineData("23505", StoreErrorKind.Permanent)] // unique_violation
    [InlineData("23514", StoreErrorKind.Permanent)] // check_violation
    [InlineData("P0001", StoreErrorKind.Permanent)] // raise_exception (a trigger judging the data)
    [InlineData("XX000", StoreErrorKind.Permanent)] // internal_error
    [InlineData("42P01", StoreErrorKind.Configuration)] // undefined_table
    [InlineData("42703", StoreErrorKind.Configuration)] // undefined_column
    [InlineData("42501", StoreErrorKind.Configuration)] // insufficient_privilege
    [InlineData("42P10", StoreErrorKind.Configuration)] // invalid_column_reference (ON CONFLICT without a unique key)
    [InlineData("0A000", StoreErrorKind.Configuration)] // feature_not_supported
    [InlineData("25006", StoreErrorKind.Configuration)] // read_only_sql_transaction
    [InlineData("28P01", StoreErrorKind.Configuration)] // invalid_password
    [InlineData("3D000", StoreErrorKind.Configuration)] // invalid_catalog_name (no such database)
    [InlineData("3F000", StoreErrorKind.Configuration)] // invalid_schema_name
    [InlineData("57P04", StoreErrorKind.Configuration)] // database_dropped
    [InlineData("55000", StoreErrorKind.Configuration)] // object_not_in_prerequisite_state (a published table without replica identity)
    [InlineData("55006", StoreErrorKind.Transient)] // object_in_use
    [InlineData("26000", StoreErrorKind.Configuration)] // invalid_sql_statement_name (prepared statements behind PgBouncer)
    [InlineData("25P03", StoreErrorKind.Transient)] // idle_in_transaction_session_timeout
    [InlineData("25P04", StoreErrorKind.Transient)] // transaction_timeout
    public void Classify_PostgresException_FollowsSqlStateTable(string sqlState, StoreErrorKind expected)
    {
        Assert.Equal(expected, PostgreSqlErrorClassifier.Classify(Server(sqlState)));
    }

    [Theory]
    [InlineData("XX001", StoreErrorKind.Configuration)] // data_corrupted: "could not read block ... of relation", every write to that table
    [InlineData("XX002", StoreErrorKind.Configuration)] // index_corrupted: "index ... contains unexpected zero page", every write through it
    [InlineData("58P01", StoreErrorKind.Transient)] // undefined_file: "could not open file", the server's storage, not the row
    [InlineData("58P02", StoreErrorKind.Transient)] // duplicate_file
    public void Classify_CorruptionAndStorageFaults_NeverRefusedRows(string sqlState, StoreErrorKind expected)
    {
        // As permanent errors, a corrupt index would have every batch split down to single records and every record
        // dead-lettered, though none of them is at fault: REINDEX (an operator's fix) would have written them all.
        Assert.Equal(expected, PostgreSqlErrorClassifier.Classify(Server(sqlState)));
    }

    [Fact]
    public void Classify_FatalErrorOfAnUnlistedCode_IsTransient_ButAFatalAuthenticationErrorStaysConfiguration()
    {
        Assert.Equal(StoreErrorKind.Transient, PostgreSqlErrorClassifier.Classify(new PostgresException("session ended", "FATAL", "FATAL", "XX000")));
        Assert.Equal(StoreErrorKind.Permanent, PostgreSqlErrorClassifier.Classify(new PostgresException("internal", "ERROR", "ERROR", "XX000")));
        Assert.Equal(StoreErrorKind.Configuration, PostgreSqlErrorClassifier.Classify(new PostgresException("password authentication failed", "FATAL", "FATAL", "28P01")));
        Assert.Equal(StoreErrorKind.Configuration, PostgreSqlErrorClassifier.Classify(new PostgresException("invalid value for parameter", "FATAL", "FATAL", "22023")));
    }

    [Fact]
    public void Classify_CheckViolationWithoutAConstraintName_IsStillARefusedRowUnlessNoPartitionTakesIt()
    {
        // A trigger's RAISE ... USING ERRCODE = 'check_violation' names no constraint, but judges the row.
        Assert.Equal(StoreErrorKind.Permanent, PostgreSqlErrorClassifier.Classify(new PostgresException("raised", "ERROR", "ERROR", "23514", routine: "exec_stmt_raise")));
        Assert.Equal(StoreErrorKind.Configuration, PostgreSqlErrorClassifier.Classify(new PostgresException("no partition", "ERROR", "ERROR", "23514", routine: "ExecFindPartition")));
    }

    [Fact]
    public void IsTimeout_CommandTimeoutAndStatementTimeout_AreTimeouts_OtherErrorsAreNot()
    {
        Assert.True(PostgreSqlErrorClassifier.IsTimeout(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"))));
        Assert.True(PostgreSqlErrorClassifier.IsTimeout(Server("57014")));
        Assert.True(PostgreSqlErrorClassifier.IsTimeout(Server("25P04")));
        Assert.False(PostgreSqlErrorClassifier.IsTimeout(Server("40001")));
        Assert.False(PostgreSqlErrorClassifier.IsTimeout(new NpgsqlException("connection is broken", new IOException())));

        // Timeouts before any statement ran say nothing about the batch's size.
        Assert.False(PostgreSqlErrorClassifier.IsTimeout(new NpgsqlException("Failed to connect to 10.0.0.1:5432", new TimeoutException())));
        Assert.False(PostgreSqlErrorClassifier.IsTimeout(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
    }

    public static TheoryData<Exception, StoreErrorKind> ClientErrors => new()
    {
        { new TimeoutException(), StoreErrorKind.Transient },
        { new IOException("broken pipe"), StoreErrorKind.Transient },
        { new SocketException((int)SocketError.ConnectionRefused), StoreErrorKind.Transient },
        { new NpgsqlException("Exception while reading from stream", new IOException("reset")), StoreErrorKind.Transient },
        { new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)), StoreErrorKind.Transient },
        { new NpgsqlException("The operation has timed out", new TimeoutException()), StoreErrorKind.Transient },
        { new NpgsqlException("connection is broken"), StoreErrorKind.Transient },
        { new OperationCanceledException("cancelled", Server("57014")), StoreErrorKind.Transient },
        { new AggregateException(new IOException()), StoreErrorKind.Transient },
        { new InvalidOperationException("wrapped", Server("40P01")), StoreErrorKind.Transient },
        { new PostgreSqlMappingException("getter threw", new IOException()), StoreErrorKind.Permanent },
        { new PostgreSqlConfigurationException("table has other columns"), StoreErrorKind.Configuration },
        { new NpgsqlException("wrapped", Server("42501")), StoreErrorKind.Configuration },
        { new InvalidCastException("Writing values of 'System.String' is not supported for parameters having NpgsqlDbType 'Integer'."), StoreErrorKind.Permanent },
        { new JsonException("bad"), StoreErrorKind.Permanent },
        { new NpgsqlException("wrapped", Server("23505")), StoreErrorKind.Permanent },
    };

    [Theory]
    [MemberData(nameof(ClientErrors))]
    public void Classify_ClientSideException_IsClassifiedByTypeAndCause(Exception error, StoreErrorKind expected)
    {
        Assert.Equal(expected, PostgreSqlErrorClassifier.Classify(error));
    }

    [Fact]
    public void SqlStateOf_ServerErrorInChain_ReturnsItsCode()
    {
        Assert.Equal("23514", PostgreSqlErrorClassifier.SqlStateOf(new NpgsqlException("wrapped", Server("23514"))));
        Assert.Equal("40P01", PostgreSqlErrorClassifier.SqlStateOf(new AggregateException(Server("40P01"))));
        Assert.Null(PostgreSqlErrorClassifier.SqlStateOf(new NpgsqlException("connection is broken", new IOException())));
    }
}
