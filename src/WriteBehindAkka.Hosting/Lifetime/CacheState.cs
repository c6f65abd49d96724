namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>Where a hosted cache is in its life.</summary>
internal enum CacheState
{
    /// <summary>Registered; the host has not started it and nothing has resolved it yet.</summary>
    NotStarted = 0,

    /// <summary>Created and accepting writes.</summary>
    Running = 1,

    /// <summary>Shut down (or shutting down): it accepts no writes.</summary>
    Stopped = 2,
}
