namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>The answer to <c>POST /scores/{playerId}</c>.</summary>
/// <param name="PlayerId">The player id.</param>
/// <param name="Name">The name written.</param>
/// <param name="Score">The score written.</param>
/// <param name="Version">The write's version (compare with the status's committedVersion).</param>
/// <param name="Consistency">How far the write had gone when the answer was sent: Accepted (memory) or Committed (PostgreSQL).</param>
/// <param name="Changed">Whether the player's score changed: false with <c>?keep=best</c> when the score sent was no better than the one kept (then <paramref name="Name"/> and <paramref name="Score"/> are the kept ones).</param>
public sealed record ScoreWritten(long PlayerId, string Name, long Score, long Version, WriteConsistency Consistency, bool Changed = true);

/// <summary>The answer to <c>GET /scores/{playerId}</c>: the player's latest score as the cache sees it.</summary>
/// <param name="PlayerId">The player id.</param>
/// <param name="Name">The name.</param>
/// <param name="Score">The latest score (possibly not committed yet).</param>
public sealed record PlayerView(long PlayerId, string Name, long Score);

/// <summary>The answer to <c>GET /scores/{playerId}/status</c>.</summary>
/// <param name="PlayerId">The player id.</param>
/// <param name="State">NotCached, Pending, Writing, Completed or Failed.</param>
/// <param name="Version">The version of the latest write held in memory.</param>
/// <param name="CommittedVersion">The newest version known committed.</param>
/// <param name="LastCommittedAt">When the last commit was confirmed.</param>
/// <param name="LastError">The error of the last failed write.</param>
public sealed record StatusView(long PlayerId, WriteState State, long Version, long CommittedVersion, DateTimeOffset? LastCommittedAt, string? LastError);

/// <summary>The answer to <c>GET /leaderboard</c>.</summary>
/// <param name="Source">Where the list was read: <c>postgresql</c> (committed scores only).</param>
/// <param name="Entries">The best scores, best first.</param>
public sealed record TopView(string Source, IReadOnlyList<LeaderboardEntry> Entries);

/// <summary>The answer to <c>POST /flush</c>.</summary>
/// <param name="FailedWrites">Writes accepted before the flush that the store refused (dead-lettered).</param>
/// <param name="AllCommitted">Whether every write accepted before the flush is committed.</param>
/// <param name="Milliseconds">How long the flush took.</param>
public sealed record FlushView(long FailedWrites, bool AllCommitted, double Milliseconds);
