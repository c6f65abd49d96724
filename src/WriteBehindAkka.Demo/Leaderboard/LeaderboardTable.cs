using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>
/// The demo's own table, <c>leaderboard(player_id bigint primary key, name text, score bigint, updated_at timestamptz)</c>,
/// written by the cache through a <see cref="PostgreSqlTableMapping{TKey, TValue}"/> and read for the top N.
/// </summary>
public sealed partial class LeaderboardTable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _quoted;

    /// <summary>Creates the table's accessor.</summary>
    /// <param name="dataSource">Where the table lives.</param>
    /// <param name="table">The table name (lower case, in the public schema).</param>
    /// <exception cref="ArgumentException">The name is not a plain lower-case identifier.</exception>
    public LeaderboardTable(NpgsqlDataSource dataSource, string table)
    {
        if (!PlainIdentifier().IsMatch(table))
        {
            throw new ArgumentException(
                $"Demo:Table is '{table}': use lower-case letters, digits and underscores, at most 63 and starting with a letter or an underscore.", nameof(table));
        }

        _dataSource = dataSource;
        Name = table;
        _quoted = "\"" + table + "\"";
    }

    /// <summary>Gets the table name.</summary>
    public string Name { get; }

    /// <summary>The mapping the cache's store writes with; <c>updated_at</c> is the version guard.</summary>
    /// <returns>A new mapping.</returns>
    public PostgreSqlTableMapping<long, PlayerScore> Mapping() =>
        new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(Name)
            .Key("player_id")
            .Column("name", s => s.Name, NpgsqlDbType.Text)
            .Column("score", s => s.Score, NpgsqlDbType.Bigint)
            .UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetString(row.GetOrdinal("name")), row.GetInt64(row.GetOrdinal("score"))));

    /// <summary>Creates the table and its score index when they are missing.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var index = "\"" + Name + "_score\"";
        await using var command = _dataSource.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS {_quoted} (player_id bigint PRIMARY KEY, name text NOT NULL, score bigint NOT NULL, updated_at timestamptz NOT NULL); " +
            $"CREATE INDEX IF NOT EXISTS {index} ON {_quoted} (score DESC, player_id)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads the best <paramref name="top"/> committed scores.</summary>
    /// <param name="top">How many.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The entries, best first.</returns>
    public async Task<IReadOnlyList<LeaderboardEntry>> TopAsync(int top, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"SELECT player_id, name, score FROM {_quoted} ORDER BY score DESC, player_id LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = top });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<LeaderboardEntry>(top);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new LeaderboardEntry(entries.Count + 1, reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return entries;
    }

    /// <summary>Counts the committed rows.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The row count.</returns>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"SELECT count(*) FROM {_quoted}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();
}
