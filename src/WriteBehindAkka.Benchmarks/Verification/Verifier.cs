using System.Globalization;
using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Verification;

/// <summary>
/// Checks the table after a flush against the ledger of acknowledged writes: for every key that was acknowledged,
/// the row must exist, be at the latest acknowledged version and hold that write's value (its stamp).
/// </summary>
internal static class Verifier
{
    private const int MaxExamples = 5;

    public static VerificationResult Verify(AckLedger ledger, TableSnapshot table)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(table);
        if (ledger.KeyCount != table.KeyCount)
        {
            throw new ArgumentException($"The ledger covers {ledger.KeyCount} keys but the snapshot {table.KeyCount}: build both for the same workload.", nameof(table));
        }

        long checkedKeys = 0, missing = 0, stale = 0, wrong = 0, ahead = 0;
        var examples = new List<string>();
        for (long key = 0; key < ledger.KeyCount; key++)
        {
            long expected = ledger.VersionOf(key);
            bool present = table.TryGet(key, out long version, out long stamp);
            if (expected == 0)
            {
                if (present)
                {
                    ahead++;
                    Note(examples, $"key {key} has a row at version {version} but no acknowledged write");
                }

                continue;
            }

            checkedKeys++;
            if (!present)
            {
                missing++;
                Note(examples, $"key {key} acknowledged at version {expected} has no row");
            }
            else if (version < expected)
            {
                stale++;
                Note(examples, $"key {key} is at version {version}, acknowledged {expected}");
            }
            else if (version > expected)
            {
                ahead++;
                Note(examples, $"key {key} is at version {version}, newer than the acknowledged {expected}");
            }
            else if (stamp != ledger.StampOf(key))
            {
                wrong++;
                Note(examples, $"key {key} at version {version} holds value stamp {stamp:X}, acknowledged {ledger.StampOf(key):X}");
            }
        }

        if (table.ForeignRows > 0)
        {
            Note(examples, $"{table.ForeignRows} rows have keys outside 0..{ledger.KeyCount - 1}");
        }

        return new VerificationResult(checkedKeys, missing, stale, wrong, ahead, examples, table.ForeignRows);
    }

    private static void Note(List<string> examples, FormattableString text)
    {
        if (examples.Count < MaxExamples)
        {
            examples.Add(text.ToString(CultureInfo.InvariantCulture));
        }
    }
}
