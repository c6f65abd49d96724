using System.Diagnostics;
using Npgsql;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>Helpers of the fault suite: acknowledged-write bookkeeping, the audit trigger, and condition waits.</summary>
internal static class FaultKit
{
    /// <summary>The real-time budget of one wait for a condition.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Records every row version the table applies (insert or update), in commit order per key: a write applied
    /// twice, or an older version applied after a newer one, shows up as a non-increasing pair.
    /// </summary>
    public static async Task InstallAuditAsync(NpgsqlDataSource admin, string table)
    {
        await using var command = admin.CreateCommand(
            $"CREATE TABLE \"{table}_audit\" (id bigserial PRIMARY KEY, key bigint NOT NULL, version bigint NOT NULL); " +
            $"CREATE FUNCTION \"{table}_audit_fn\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
            $"INSERT INTO \"{table}_audit\" (key, version) VALUES (NEW.key, NEW.version); RETURN NULL; END $$; " +
            $"CREATE TRIGGER \"{table}_audit_tr\" AFTER INSERT OR UPDATE ON \"{table}\" FOR EACH ROW EXECUTE FUNCTION \"{table}_audit_fn\"()");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Counts audit entries whose version is not above the key's previous one (must be zero), and all entries.</summary>
    public static async Task<(long Stale, long Applied)> ReadAuditAsync(NpgsqlDataSource admin, string table)
    {
        await using var command = admin.CreateCommand(
            $"SELECT count(*) FILTER (WHERE prev IS NOT NULL AND version <= prev), count(*) FROM " +
            $"(SELECT version, lag(version) OVER (PARTITION BY key ORDER BY id) AS prev FROM \"{table}_audit\") a");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Reads the default key/value table: key to (the sequence number in the value, version).</summary>
    public static async Task<Dictionary<long, (long Seq, long Version)>> ReadRowsAsync(NpgsqlDataSource admin, string table)
    {
        var rows = new Dictionary<long, (long, long)>();
        await using var command = admin.CreateCommand($"SELECT key, value, version FROM \"{table}\"");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt64(0)] = (BitConverter.ToInt64(reader.GetFieldValue<byte[]>(1)), reader.GetInt64(2));
        }

        return rows;
    }

    /// <summary>Polls a condition (every few milliseconds) until it holds, or fails after <see cref="Within"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Within)
            {
                throw new TimeoutException($"Waited {Within} for {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Polls an asynchronous condition until it holds, or fails after <see cref="Within"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Within)
            {
                throw new TimeoutException($"Waited {Within} for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
