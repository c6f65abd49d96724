namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>What the cache holds per player id: the player's name and latest score.</summary>
/// <param name="Name">The player's name.</param>
/// <param name="Score">The latest score.</param>
public sealed record PlayerScore(string Name, long Score);
