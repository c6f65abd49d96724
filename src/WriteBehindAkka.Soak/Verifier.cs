using System.Globalization;
using Npgsql;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Soak;

/// <summary>Checks the table and the dead letters against the ledger of acknowledged writes.</summary>
internal static class Verifier
{
    public static async Task<(bool Passed, string Summary)> VerifyAsync(NpgsqlDataSource admin, IDeadLetterStore<long> deadLetters, Ledger ledger)
    {
        var rows = new Dictionary<long, (long Seq, long Version)>();
        await using (var command = admin.CreateCommand("SELECT id, seq, version FROM soak_scores"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var letters = new Dictionary<long, DeadLetter<long>>();
        while (true)
        {
            var page = await deadLetters.ListAsync(letters.Count, 1_000, CancellationToken.None);
            foreach (var letter in page)
            {
                letters[letter.Key] = letter;
            }

            if (page.Count < 1_000)
            {
                break;
            }
        }

        long stale;
        long applied;
        await using (var command = admin.CreateCommand(
            "SELECT count(*) FILTER (WHERE prev IS NOT NULL AND version <= prev), count(*) FROM " +
            "(SELECT version, lag(version) OVER (PARTITION BY key ORDER BY id) AS prev FROM soak_audit) a"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            stale = reader.GetInt64(0);
            applied = reader.GetInt64(1);
        }

        long landed = 0, removed = 0, deadLettered = 0, staleLetters = 0, lost = 0, unexpected = 0;
        var examples = new List<string>();
        for (long key = 0; key < ledger.Keys; key++)
        {
            var (seq, version, poison, deleted) = ledger.Latest(key);
            bool hasRow = rows.TryGetValue(key, out var row);
            bool hasLetter = letters.TryGetValue(key, out var letter);
            if (seq == 0)
            {
                if (hasRow || hasLetter)
                {
                    unexpected++;
                }

                continue;
            }

            if (deleted && !hasRow)
            {
                removed++;
                if (hasLetter)
                {
                    // A refused write the delete superseded: the letter is older than the delete.
                    staleLetters += letter!.Version < version ? 1 : 0;
                    unexpected += letter.Version < version ? 0 : 1;
                }
            }
            else if (!deleted && !poison && hasRow && row == (seq, version))
            {
                landed++;
                if (hasLetter)
                {
                    // A refused write the key's later write superseded: the letter is older than the row.
                    staleLetters += letter!.Version < version ? 1 : 0;
                    unexpected += letter.Version < version ? 0 : 1;
                }
            }
            else if (!deleted && poison && hasLetter && letter!.Version == version && letter.ErrorCode == "23514" && (!hasRow || row.Version < version))
            {
                deadLettered++;
            }
            else
            {
                lost++;
                if (examples.Count < 5)
                {
                    examples.Add(string.Create(CultureInfo.InvariantCulture, $"key {key}: acknowledged seq {seq} at version {version}{(poison ? " (poison)" : string.Empty)}{(deleted ? " (a delete)" : string.Empty)}, row {(hasRow ? row.ToString() : "none")}, letter {(hasLetter ? letter!.Version.ToString(CultureInfo.InvariantCulture) : "none")}"));
                }
            }
        }

        bool passed = lost == 0 && unexpected == 0 && stale == 0;
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"Checked {ledger.Keys:N0} keys: {landed:N0} rows at their latest acknowledged value and version, {removed:N0} keys deleted by their latest acknowledged write and without a row, {deadLettered:N0} latest writes dead-lettered (SQLSTATE 23514), {staleLetters:N0} older letters of keys written since; {lost:N0} lost or wrong, {unexpected:N0} unexpected; {applied:N0} row versions applied, {stale} at a stale version.");
        return (passed, examples.Count == 0 ? summary : summary + Environment.NewLine + string.Join(Environment.NewLine, examples));
    }
}
