using Npgsql;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Hosting.PostgreSql;

/// <summary>
/// The PostgreSQL tables the caches of one service provider write, so that two caches do not share one: each keeps
/// its own view of the rows, equal keys of the two would overwrite each other's rows (two caches left without a
/// table both write the default <c>writebehind_entries</c>), and each would read the other's values back as its own.
/// </summary>
internal sealed class PostgreSqlTableClaims
{
    /// <summary>The cache that writes each table, by database and table.</summary>
    private readonly Dictionary<string, string> _owners = new(StringComparer.Ordinal);

    /// <summary>Claims a table for a cache.</summary>
    /// <param name="cacheName">The cache's name.</param>
    /// <param name="options">The store's options (its connection string or data source names the database).</param>
    /// <param name="table">The table, as the store names it (<c>schema.table</c>).</param>
    /// <exception cref="InvalidOperationException">Another cache of this service provider writes the table.</exception>
    public void Claim(string cacheName, PostgreSqlStoreOptions options, string table)
    {
        string database = Database(options);
        string claim = database + "\n" + table;
        lock (_owners)
        {
            if (_owners.TryGetValue(claim, out var owner) && !string.Equals(owner, cacheName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The write-behind caches '{owner}' and '{cacheName}' both write the PostgreSQL table {table} ({database}): "
                    + "rows of equal keys would overwrite each other, and each cache would read the other's values as its own. "
                    + "Give each cache its own table: o.Table in UsePostgreSql(o => ...), PostgreSql { Table = ... } in its "
                    + "configuration section, or mapping.Table(...).");
            }

            _owners[claim] = cacheName;
        }
    }

    /// <summary>Names the database the options connect to: host, port and database (the user's name when none is given, as Npgsql does).</summary>
    private static string Database(PostgreSqlStoreOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.DataSource?.ConnectionString ?? options.ConnectionString);
        string host = string.IsNullOrEmpty(builder.Host) ? "localhost" : builder.Host;
        string database = builder.Database ?? builder.Username ?? "(the user's database)";
        return $"database '{database}' on {host}:{builder.Port}";
    }
}
