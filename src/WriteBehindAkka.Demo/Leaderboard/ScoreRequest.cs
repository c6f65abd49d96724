namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>The body of <c>POST /scores/{playerId}</c>.</summary>
/// <param name="Score">The score (required).</param>
/// <param name="Name">The player's name; <c>player-{id}</c> when missing.</param>
public sealed record ScoreRequest(long? Score, string? Name);
