namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>
/// The tests that run the demo in process share one PostgreSQL server and run one at a time: every demo instance's
/// cache is named "scores", and the metrics they read are tagged by that name only.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DemoCollection : ICollectionFixture<DemoPostgresFixture>
{
    public const string Name = "demo";
}
