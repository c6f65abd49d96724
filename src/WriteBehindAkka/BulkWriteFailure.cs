namespace WriteBehindAkka;

/// <summary>One write of a bulk write that failed.</summary>
/// <param name="Index">Its place in the list given to the call (0 for the first).</param>
/// <param name="Error">Why: as the same write's <c>SetAsync</c> or <c>DeleteAsync</c> would have failed.</param>
public sealed record BulkWriteFailure(int Index, Exception Error);
