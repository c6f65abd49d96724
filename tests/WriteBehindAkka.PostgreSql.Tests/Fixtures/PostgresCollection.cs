namespace WriteBehindAkka.PostgreSql.Tests.Fixtures;

/// <summary>The tests that share the assembly's server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
