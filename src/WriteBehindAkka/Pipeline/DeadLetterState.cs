namespace WriteBehindAkka.Pipeline;

/// <summary>What became of the dead letter of a record the store refused.</summary>
internal enum DeadLetterState : byte
{
    /// <summary>The cache has no dead-letter sink: the failure is reported (status, flush result, log, metric) only.</summary>
    NoSink = 0,

    /// <summary>The sink has the letter: the record may leave memory.</summary>
    Recorded = 1,

    /// <summary>The sink refused the letter for good, or its retries ran out: the record stays in memory, counted as pending.</summary>
    Refused = 2,
}
