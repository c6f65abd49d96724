namespace WriteBehindAkka;

/// <summary>The status of one key's writes.</summary>
/// <param name="State">Where the latest write stands.</param>
/// <param name="Version">The version of the latest write held in memory (0 when not cached).</param>
/// <param name="CommittedVersion">The newest version known to be committed (0 when none).</param>
/// <param name="LastCommittedAt">When the last commit of this key was confirmed (to the millisecond), or <see langword="null"/>.</param>
/// <param name="LastError">The error of the last failed write, or <see langword="null"/>.</param>
public sealed record KeyStatus(WriteState State, long Version, long CommittedVersion, DateTimeOffset? LastCommittedAt, string? LastError)
{
    /// <summary>The status of a key the cache does not hold.</summary>
    public static KeyStatus NotCached { get; } = new(WriteState.NotCached, 0, 0, null, null);
}
