namespace WriteBehindAkka;

/// <summary>The result of <see cref="IWriteBehindCache{TKey, TValue}.RetryDeadLetterAsync"/>.</summary>
/// <param name="Outcome">What the retry did.</param>
/// <param name="Version">The dead letter's version (0 when there was none). A resubmitted write keeps it.</param>
public sealed record DeadLetterRetryResult(DeadLetterRetryOutcome Outcome, long Version);
