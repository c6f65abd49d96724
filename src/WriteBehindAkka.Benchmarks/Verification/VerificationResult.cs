using System.Globalization;

namespace WriteBehindAkka.Benchmarks.Verification;

/// <summary>The outcome of checking every acknowledged write against the table.</summary>
/// <param name="CheckedKeys">Keys with at least one acknowledged write.</param>
/// <param name="Missing">Acknowledged keys with no row.</param>
/// <param name="Stale">Rows at an older version than the latest acknowledged one.</param>
/// <param name="WrongValue">Rows at the acknowledged version whose value is not the acknowledged value.</param>
/// <param name="Ahead">Rows newer than any acknowledged write of their key (a write the run lost track of).</param>
/// <param name="Examples">Up to a few of the problems, in words.</param>
internal sealed record VerificationResult(long CheckedKeys, long Missing, long Stale, long WrongValue, long Ahead, IReadOnlyList<string> Examples)
{
    public bool Passed => Missing == 0 && Stale == 0 && WrongValue == 0 && Ahead == 0;

    public override string ToString() => Passed
        ? string.Create(CultureInfo.InvariantCulture, $"verified {CheckedKeys:N0} keys: every acknowledged write is in the table")
        : string.Create(CultureInfo.InvariantCulture, $"FAILED on {CheckedKeys:N0} keys: {Missing} missing, {Stale} stale, {WrongValue} wrong value, {Ahead} ahead; e.g. {string.Join("; ", Examples)}");
}
