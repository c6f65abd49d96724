namespace WriteBehindAkka.PostgreSql;

/// <summary>Which column keeps an older write from overwriting (or deleting) a newer row.</summary>
internal enum VersionGuard
{
    /// <summary>The bigint version column: <c>t.version &lt; excluded.version</c>.</summary>
    Version,

    /// <summary>
    /// The timestamptz column: <c>t.updated_at &lt; excluded.updated_at</c>. Exact, since versions are microsecond
    /// timestamps and timestamptz keeps microseconds.
    /// </summary>
    UpdatedAt,

    /// <summary>No guard: every write is applied, so a replayed or reordered batch can overwrite newer data.</summary>
    None,
}
