using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.PostgreSql.Tests.Fixtures;

/// <summary>
/// A test that starts, stops or kills a throwaway cluster of its own. Skipped when WRITEBEHIND_PG_CONNECTION
/// names an external server: the machine then may have no server programs, and stop/kill faults need a server
/// the test owns.
/// </summary>
public sealed class LocalClusterFactAttribute : FactAttribute
{
    public LocalClusterFactAttribute()
    {
        if (LocalPostgresCluster.ExternalConnectionString() is not null)
        {
            Skip = $"{LocalPostgresCluster.ExternalConnectionVariable} is set: stop/kill tests need a throwaway local cluster.";
        }
    }
}
