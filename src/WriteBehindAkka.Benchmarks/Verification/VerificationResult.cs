using System.Globalization;

namespace WriteBehindAkka.Benchmarks.Verification;

/// <summary>The outcome of checking every acknowledged write against the table.</summary>
/// <param name="CheckedKeys">Keys with at least one acknowledged write.</param>
/// <param name="Missing">Acknowledged keys with no row.</param>
/// <param name="Stale">Rows at an older version than the latest acknowledged one.</param>
/// <param name="WrongValue">Rows at the acknowledged version whose value is not the acknowledged value.</param>
/// <param name="Ahead">Rows newer than any acknowledged write of their key (a write the run lost track of).</param>
/// <param name="Examples">Up to a few of the problems, in words.</param>
/// <param name="ForeignRows">Rows whose key is outside the workload's keys (none should exist).</param>
internal sealed record VerificationResult(long CheckedKeys, long Missing, long Stale, long WrongValue, long Ahead, IReadOnlyList<string> Examples, long ForeignRows = 0)
{
    /// <summary>Whether the table matched the ledger; a run that acknowledged nothing has nothing to prove and fails too.</summary>
    public bool Passed => CheckedKeys > 0 && Missing == 0 && Stale == 0 && WrongValue == 0 && Ahead == 0 && ForeignRows == 0;

    public override string ToString() => Passed
        ? string.Create(CultureInfo.InvariantCulture, $"verified {CheckedKeys:N0} keys: every acknowledged write is in the table")
        : CheckedKeys == 0
            ? "FAILED: no acknowledged write was recorded, so nothing could be checked"
            : string.Create(CultureInfo.InvariantCulture, $"FAILED on {CheckedKeys:N0} keys: {Missing} missing, {Stale} stale, {WrongValue} wrong value, {Ahead} ahead, {ForeignRows} rows of keys outside the workload; e.g. {string.Join("; ", Examples)}");
}
