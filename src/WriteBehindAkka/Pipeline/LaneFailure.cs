using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>A writer loop's view of a failure it keeps retrying: immutable, swapped in whole so health readers need no lock.</summary>
/// <param name="Kind">Transient or Configuration.</param>
/// <param name="Message">The last error's message.</param>
/// <param name="ErrorCode">The last error's code (the SQLSTATE), if any.</param>
/// <param name="Since">When the first failure of this run happened (a <see cref="TimeProvider.GetTimestamp"/> reading).</param>
/// <param name="Attempts">Failed attempts so far in this run.</param>
internal sealed record LaneFailure(StoreErrorKind Kind, string Message, string? ErrorCode, long Since, int Attempts)
{
    /// <summary>When the lane gave up on the batch that failed (its restart budget spent; a timestamp), or 0 while it retries.</summary>
    public long GaveUpAt { get; init; }
}
