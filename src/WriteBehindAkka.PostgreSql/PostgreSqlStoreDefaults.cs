namespace WriteBehindAkka.PostgreSql;

/// <summary>The defaults of <see cref="PostgreSqlStoreOptions"/>, in one place.</summary>
internal static class PostgreSqlStoreDefaults
{
    /// <summary>The default schema.</summary>
    internal const string Schema = "public";

    /// <summary>The default table.</summary>
    internal const string Table = "writebehind_entries";

    /// <summary>The default batch form: the faster one measured (see <see cref="PostgreSqlStoreOptions.BatchForm"/>).</summary>
    internal const PostgreSqlBatchForm BatchForm = PostgreSqlBatchForm.Unnest;

    /// <summary>The longest command timeout Npgsql accepts, in seconds.</summary>
    internal const int MaxCommandTimeoutSeconds = int.MaxValue;

    /// <summary>The default command timeout.</summary>
    internal static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default dead-letter table.</summary>
    internal const string DeadLetterTable = "writebehind_dead_letters";
}
