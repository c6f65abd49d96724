namespace WriteBehindAkka;

/// <summary>What an operator's retry of a dead letter did.</summary>
public enum DeadLetterRetryOutcome
{
    /// <summary>The key has no dead letter.</summary>
    NotFound = 0,

    /// <summary>The dead-lettered write was handed to the cache again, at its own version, and the letter deleted.</summary>
    Resubmitted = 1,

    /// <summary>
    /// The key was written since (in the cache or in the store, at a newer version), so the letter is stale: it was
    /// deleted and nothing was written.
    /// </summary>
    Superseded = 2,
}
