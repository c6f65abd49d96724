namespace WriteBehindAkka.PostgreSql.Tests.Fixtures;

public sealed record PlayerScore(long PlayerId, int Score);
