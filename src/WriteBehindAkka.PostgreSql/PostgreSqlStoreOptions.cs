using System.Globalization;
using Npgsql;

namespace WriteBehindAkka.PostgreSql;

/// <summary>Settings of a <see cref="PostgreSqlStore{TKey, TValue}"/>. Validated and copied when the store is created.</summary>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>Gets or sets the connection string. Set this or <see cref="DataSource"/>, not both.</summary>
    /// <value>The default value is <see langword="null"/>. The store then owns the data source it makes, and disposes it.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets a data source to use. Set this or <see cref="ConnectionString"/>, not both.</summary>
    /// <value>The default value is <see langword="null"/>. A data source given here is the caller's: the store never disposes it.</value>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Gets or sets the schema of the default key/value table. A custom table names its own schema in its mapping.</summary>
    /// <value>The default value is <c>public</c>.</value>
    public string Schema { get; set; } = PostgreSqlStoreDefaults.Schema;

    /// <summary>Gets or sets the name of the default key/value table. A custom table is named by its mapping.</summary>
    /// <value>The default value is <c>writebehind_entries</c>.</value>
    public string Table { get; set; } = PostgreSqlStoreDefaults.Table;

    /// <summary>Gets or sets how a batch is sent.</summary>
    /// <value>The default value is <see cref="PostgreSqlBatchForm.Unnest"/>, the faster of the two as measured.</value>
    /// <remarks>
    /// Measured on PostgreSQL 15 (fsync on, 2 cores, a 1M-row table, 100-byte values, writers on disjoint keys,
    /// median of interleaved runs): unnest wrote 65k rows/s against COPY's 49k for 1,000-row batches with one
    /// writer, 136k against 97k with two, and was ahead with two writers at 5,000 and 20,000 rows too; COPY was
    /// 8 to 13% ahead only for one writer with batches of 5,000 rows or more.
    /// </remarks>
    public PostgreSqlBatchForm BatchForm { get; set; } = PostgreSqlStoreDefaults.BatchForm;

    /// <summary>Gets or sets how long one batch or load may run on the server before it is cancelled (a transient error).</summary>
    /// <value>The default value is 30 seconds. Whole seconds; at least 1 second.</value>
    public TimeSpan CommandTimeout { get; set; } = PostgreSqlStoreDefaults.CommandTimeout;

    /// <summary>
    /// Gets or sets a value indicating whether the store creates the default table (and its schema) before its
    /// first write or load, as <see cref="PostgreSqlStore{TKey, TValue}.EnsureTableAsync"/> does.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: tables are created only when asked for.</value>
    public bool CreateTableIfMissing { get; set; }

    /// <summary>Gets or sets the schema of the dead-letter table (for the default table and custom tables alike).</summary>
    /// <value>The default value is <c>public</c>.</value>
    public string DeadLetterSchema { get; set; } = PostgreSqlStoreDefaults.Schema;

    /// <summary>
    /// Gets or sets the dead-letter table, where the writes PostgreSQL refused for good are kept (see
    /// <see cref="PostgreSqlDeadLetterStore{TKey}"/>); it is created on first use when missing. Several stores may
    /// share one: each row names its source table. <see langword="null"/> keeps no dead-letter table (the cache then
    /// reports refused writes only, unless it is given another sink).
    /// </summary>
    /// <value>The default value is <c>writebehind_dead_letters</c>.</value>
    public string? DeadLetterTable { get; set; } = PostgreSqlStoreDefaults.DeadLetterTable;

    /// <summary>
    /// Says what is wrong with a connection string Npgsql would refuse when the store makes its data source, in the
    /// settings' one message (Npgsql alone says "Value cannot be null. (Parameter 'Host')" and stops there). The
    /// message names keywords only, never a value: a connection string holds a password.
    /// </summary>
    /// <param name="connectionString">The connection string, not blank.</param>
    /// <returns>The problem, or <see langword="null"/> when Npgsql takes it.</returns>
    private static string? ConnectionStringProblem(string connectionString)
    {
        const string Form = "write key=value pairs separated by ';' with Npgsql's keywords, for example Host=127.0.0.1;Port=5432;Database=game;Username=app;Password=...";
        if (connectionString.Contains("://", StringComparison.Ordinal))
        {
            return "ConnectionString is a URL (postgres://...), which Npgsql does not take: " + Form + ".";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException error)
        {
            return $"ConnectionString is not one Npgsql takes ({error.Message}): {Form}.";
        }

        // Npgsql takes these, then fails each connection: a port above 65535 with an ArgumentOutOfRangeException
        // (which reads as a refused record, so every write was dead-lettered), a pool of 0 by timing out every wait
        // for a connection (a transient error, retried for ever).
        const string PortRange = "use a TCP port from 1 to 65535 (PostgreSQL's is usually 5432).";
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return "ConnectionString names no Host: add Host=<server or socket folder>, for example Host=127.0.0.1.";
        }

        if (builder.Port > MaxPort)
        {
            return "ConnectionString has a Port out of range: " + PortRange;
        }

        if (builder.Host.Split(',').Any(host => HostPort(host.Trim()) is > MaxPort))
        {
            return "ConnectionString has a Host whose port is out of range: " + PortRange;
        }

        if (builder.MaxPoolSize < 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"ConnectionString has Maximum Pool Size {builder.MaxPoolSize}: no connection could ever be opened (every write would wait for the pool and time out); use at least 1, or leave it out (Npgsql's default is 100).");
        }

        return builder.MinPoolSize > builder.MaxPoolSize
            ? string.Create(CultureInfo.InvariantCulture, $"ConnectionString has Minimum Pool Size {builder.MinPoolSize} above Maximum Pool Size {builder.MaxPoolSize}: make the minimum at most the maximum.")
            : null;
    }

    /// <summary>The highest TCP port.</summary>
    private const int MaxPort = 65535;

    /// <summary>The port a <c>host:port</c> entry of Host names, or <see langword="null"/> when it names none (a socket folder, a bare host).</summary>
    /// <param name="host">One entry of Host.</param>
    /// <returns>The port, as a number (it may be out of range).</returns>
    private static long? HostPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return !host.StartsWith('/') && colon >= 0 && colon < host.Length - 1
            && long.TryParse(host.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : null;
    }

    /// <summary>Validates the options and returns a copy that later changes cannot reach.</summary>
    /// <param name="hasMapping">Whether the store writes a custom table through a mapping.</param>
    /// <param name="mappingProblems">Problems already found in the mapping, listed in the same message.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentException">Something is invalid; the message lists every problem.</exception>
    internal PostgreSqlStoreOptions ValidatedCopy(bool hasMapping, IEnumerable<string> mappingProblems)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString) == (DataSource is null))
        {
            problems.Add(DataSource is null
                ? "Neither ConnectionString nor DataSource is set: set one of them."
                : "Both ConnectionString and DataSource are set: set only one of them.");
        }
        else if (DataSource is null && ConnectionStringProblem(ConnectionString!) is { } connection)
        {
            problems.Add(connection);
        }

        if (hasMapping)
        {
            if (Schema != PostgreSqlStoreDefaults.Schema || Table != PostgreSqlStoreDefaults.Table)
            {
                problems.Add("Schema and Table name the default key/value table, but a mapping is given: name the custom table with mapping.Table(schema, name) and leave Schema and Table unset.");
            }

            if (CreateTableIfMissing)
            {
                problems.Add("CreateTableIfMissing creates the default key/value table only, but a mapping is given: create your own table with your migrations and leave CreateTableIfMissing false.");
            }
        }
        else
        {
            problems.AddRange(new[] { SqlIdentifier.Problem("Schema", Schema), SqlIdentifier.Problem("Table", Table) }.OfType<string>());
        }

        if (DeadLetterTable is not null)
        {
            problems.AddRange(new[] { SqlIdentifier.Problem("DeadLetterSchema", DeadLetterSchema), SqlIdentifier.Problem("DeadLetterTable", DeadLetterTable) }.OfType<string>());
        }

        if (!Enum.IsDefined(BatchForm))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"BatchForm is {(int)BatchForm}: use PostgreSqlBatchForm.Unnest or PostgreSqlBatchForm.Copy."));
        }

        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout.TotalSeconds > PostgreSqlStoreDefaults.MaxCommandTimeoutSeconds)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"CommandTimeout is {CommandTimeout}: use at least 1 second (the default is 30 seconds)."));
        }
        else if (CommandTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            // Npgsql's command timeout is whole seconds: 1500ms would silently be 1 s.
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"CommandTimeout is {CommandTimeout}: use whole seconds (PostgreSQL commands time out in seconds)."));
        }

        problems.AddRange(mappingProblems);
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                "The PostgreSqlStore settings are invalid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", problems));
        }

        return new PostgreSqlStoreOptions
        {
            ConnectionString = ConnectionString,
            DataSource = DataSource,
            Schema = Schema,
            Table = Table,
            BatchForm = BatchForm,
            CommandTimeout = CommandTimeout,
            CreateTableIfMissing = CreateTableIfMissing,
            DeadLetterSchema = DeadLetterSchema,
            DeadLetterTable = DeadLetterTable,
        };
    }
}
