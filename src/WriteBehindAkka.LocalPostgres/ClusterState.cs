namespace WriteBehindAkka.LocalPostgres;

/// <summary>Where a <see cref="LocalPostgresCluster"/> is in its life.</summary>
internal enum ClusterState
{
    /// <summary>The server was started by this object and has not been stopped or killed since.</summary>
    Running,

    /// <summary>The server was stopped or killed; the data directory is kept and it can be started again.</summary>
    Stopped,

    /// <summary>The cluster was disposed: the server is stopped and the directory deleted (unless kept).</summary>
    Disposed,
}
