using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.PostgreSql.Tests;

public sealed class PostgreSqlStoreOptionsTests
{
    private const string ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres";

    [Fact]
    public void Constructor_SeveralInvalidOptions_ThrowsOneMessageListingEveryProblem()
    {
        var options = new PostgreSqlStoreOptions { Table = "", Schema = new string('s', 64), CommandTimeout = TimeSpan.Zero, BatchForm = (PostgreSqlBatchForm)7 };

        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, byte[]>(options, ByteArraySerializer.Instance));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "The PostgreSqlStore settings are invalid:",
                "- Neither ConnectionString nor DataSource is set: set one of them.",
                $"- Schema '{new string('s', 64)}' is longer than 63 bytes, and PostgreSQL cuts longer names: use a shorter name.",
                "- Table is empty: give the name of the table as it is in the database.",
                "- BatchForm is 7: use PostgreSqlBatchForm.Unnest or PostgreSqlBatchForm.Copy.",
                "- CommandTimeout is 00:00:00: use at least 1 second (the default is 30 seconds)."),
            error.Message);
    }

    [Theory]
    [InlineData("Database=game;Username=app", "ConnectionString names no Host: add Host=<server or socket folder>, for example Host=127.0.0.1.")]
    [InlineData("Host=127.0.0.1;Port=abc", "ConnectionString is not one Npgsql takes (Couldn't set port (Parameter 'port')): write key=value pairs separated by ';' with Npgsql's keywords, for example Host=127.0.0.1;Port=5432;Database=game;Username=app;Password=....")]
    [InlineData("Hots=127.0.0.1;Password=secret", "ConnectionString is not one Npgsql takes (Couldn't set hots (Parameter 'hots')): write key=value pairs separated by ';' with Npgsql's keywords, for example Host=127.0.0.1;Port=5432;Database=game;Username=app;Password=....")]
    [InlineData("postgres://app:secret@127.0.0.1:5432/game", "ConnectionString is a URL (postgres://...), which Npgsql does not take: write key=value pairs separated by ';' with Npgsql's keywords, for example Host=127.0.0.1;Port=5432;Database=game;Username=app;Password=....")]
    [InlineData("Host=127.0.0.1;Port=99999;Password=secret", "ConnectionString has a Port out of range: use a TCP port from 1 to 65535 (PostgreSQL's is usually 5432).")]
    [InlineData("Host=db1:5432,db2:70000;Password=secret", "ConnectionString has a Host whose port is out of range: use a TCP port from 1 to 65535 (PostgreSQL's is usually 5432).")]
    [InlineData("Host=127.0.0.1;Maximum Pool Size=0", "ConnectionString has Maximum Pool Size 0: no connection could ever be opened (every write would wait for the pool and time out); use at least 1, or leave it out (Npgsql's default is 100).")]
    [InlineData("Host=127.0.0.1;Minimum Pool Size=10;Maximum Pool Size=2", "ConnectionString has Minimum Pool Size 10 above Maximum Pool Size 2: make the minimum at most the maximum.")]
    public void Constructor_ConnectionStringNpgsqlRefuses_ListedWithTheOtherProblemsWithoutItsValues(string connectionString, string problem)
    {
        var options = new PostgreSqlStoreOptions { ConnectionString = connectionString, CommandTimeout = TimeSpan.Zero };

        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, byte[]>(options, ByteArraySerializer.Instance));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "The PostgreSqlStore settings are invalid:",
                "- " + problem,
                "- CommandTimeout is 00:00:00: use at least 1 second (the default is 30 seconds)."),
            error.Message);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_CommandTimeoutWithAFractionOfASecond_IsRefusedNotCutDown()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = ConnectionString, CommandTimeout = TimeSpan.FromMilliseconds(1500) }, ByteArraySerializer.Instance));

        Assert.Contains("- CommandTimeout is 00:00:01.5000000: use whole seconds (PostgreSQL commands time out in seconds).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Constructor_BothConnectionStringAndDataSource_Throws()
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);

        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = ConnectionString, DataSource = dataSource }, ByteArraySerializer.Instance));

        Assert.Contains("- Both ConnectionString and DataSource are set: set only one of them.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_IncompleteMappingAndDefaultTableOptions_ListsEveryProblem()
    {
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>()
            .Key("id")
            .Column("id", p => p.Score, NpgsqlDbType.Integer)
            .Column("", p => p.Score, NpgsqlDbType.Integer)
            .Column("wb_delete", p => p.Score, NpgsqlDbType.Integer);
        var options = new PostgreSqlStoreOptions { ConnectionString = ConnectionString, Table = "kv", CreateTableIfMissing = true };

        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, PlayerScore>(options, new JsonValueSerializer<PlayerScore>(), mapping));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "The PostgreSqlStore settings are invalid:",
                "- Schema and Table name the default key/value table, but a mapping is given: name the custom table with mapping.Table(schema, name) and leave Schema and Table unset.",
                "- CreateTableIfMissing creates the default key/value table only, but a mapping is given: create your own table with your migrations and leave CreateTableIfMissing false.",
                "- The mapping names no table: call mapping.Table(schema, name).",
                "- In the mapping: the column 'id' is mapped twice: map each column once.",
                "- In the mapping: Column is empty: give the name of the column as it is in the database.",
                "- In the mapping: the column name 'wb_delete' is reserved for the staging table: rename the column."),
            error.Message);
    }

    [Fact]
    public void Constructor_EmptyMapping_ListsMissingKeyAndColumns()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = ConnectionString },
            new JsonValueSerializer<PlayerScore>(),
            new PostgreSqlTableMapping<long, PlayerScore>().Table("t")));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "The PostgreSqlStore settings are invalid:",
                "- The mapping names no key column: call mapping.Key(column).",
                "- The mapping has no value column: call mapping.Column(name, getter, type) for each column to write."),
            error.Message);
    }

    [Fact]
    public void Constructor_UnsupportedKeyType_ThrowsNamingTheSupportedOnes()
    {
        var error = Assert.Throws<NotSupportedException>(() => new PostgreSqlStore<DateTime, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = ConnectionString }, ByteArraySerializer.Instance));

        Assert.Equal(
            "PostgreSqlStore does not support the key type System.DateTime. Use one of string (text), long (bigint), int (integer) and Guid (uuid), " +
            "for example by keying the cache on a string form of your key.",
            error.Message);
    }

    [Fact]
    public async Task Constructor_OptionsChangedAfterwards_KeepsTheCopy()
    {
        var options = new PostgreSqlStoreOptions { ConnectionString = ConnectionString, Table = "first", BatchForm = PostgreSqlBatchForm.Copy };
        await using var store = new PostgreSqlStore<long, byte[]>(options, ByteArraySerializer.Instance);

        options.Table = "second";
        options.BatchForm = PostgreSqlBatchForm.Unnest;

        Assert.Equal("public.first", store.TableName);
        Assert.Equal(PostgreSqlBatchForm.Copy, store.BatchForm);
    }

    [Fact]
    public void Defaults_NewOptions_AreDocumentedValues()
    {
        var options = new PostgreSqlStoreOptions();

        Assert.Equal(("public", "writebehind_entries", PostgreSqlBatchForm.Unnest, TimeSpan.FromSeconds(30), false), (options.Schema, options.Table, options.BatchForm, options.CommandTimeout, options.CreateTableIfMissing));
    }
}
