namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>The role of a contender in the comparison.</summary>
internal enum ContenderKind
{
    /// <summary>What PostgreSQL can ingest at all: the upper bound of any drain.</summary>
    Ceiling,

    /// <summary>One upsert per write, acknowledged at commit: what a user does without this library.</summary>
    WriteThrough,

    /// <summary>WriteBehindAkka.</summary>
    WriteBehind,

    /// <summary>WriteBehindAkka's pipeline committing a backlog with no caller writing: its drain, measured as the ceilings are.</summary>
    Drain,
}
