namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>One row of the top-N list.</summary>
/// <param name="Rank">1 for the best score.</param>
/// <param name="PlayerId">The player id.</param>
/// <param name="Name">The player's name.</param>
/// <param name="Score">The committed score.</param>
public sealed record LeaderboardEntry(int Rank, long PlayerId, string Name, long Score);
