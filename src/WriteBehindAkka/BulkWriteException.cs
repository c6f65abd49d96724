namespace WriteBehindAkka;

/// <summary>
/// A bulk write did not make every write it was given at the level asked for. The writes are made in the order
/// given: the first <see cref="Taken"/> were handed to the cache, and those after them were not made (a write was
/// refused at once: the bound with <c>OverflowStrategy.Fail</c>, shutdown, cancellation, or a journal record that
/// could not be appended while the write ran on the caller's thread). <see cref="Failures"/> lists every write that
/// failed (among them, one still waiting for room when the cache stopped or the token was cancelled), each with the
/// error its own <c>SetAsync</c> or <c>DeleteAsync</c> would have given, which says whether it was applied (a <see cref="Journal.JournalWriteException"/> says "was not applied"
/// for a refused record, "applied in memory" for a failed fsync; a <see cref="WriteFailedException"/>: applied,
/// refused by the store). Writing a key again replaces the earlier write, so retrying the whole list, or the part
/// of it from its first failed write on, is safe (retrying only the failed writes is not when a key comes twice in
/// the list: a later write of it may have succeeded).
/// </summary>
public sealed class BulkWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BulkWriteException()
        : this("The bulk write did not make every write.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public BulkWriteException(string message)
        : base(message)
    {
        Failures = [];
    }

    /// <summary>Creates the exception with a message and the first failure's error.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The error.</param>
    public BulkWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failures = [];
    }

    /// <summary>Creates the exception from what the bulk write did.</summary>
    /// <param name="count">How many writes the call was given.</param>
    /// <param name="taken">How many, from the start of the list, were handed to the cache.</param>
    /// <param name="failures">The writes that failed, in the order of the list (at least one).</param>
    public BulkWriteException(int count, int taken, IReadOnlyList<BulkWriteFailure> failures)
        : base(Describe(count, taken, failures), failures is [var first, ..] ? first.Error : null)
    {
        Count = count;
        Taken = taken;
        Failures = failures;
    }

    /// <summary>How many writes the call was given.</summary>
    public int Count { get; }

    /// <summary>How many writes, from the start of the list, were handed to the cache (each is applied and written behind unless it is in <see cref="Failures"/>); those after them were not made.</summary>
    public int Taken { get; }

    /// <summary>The writes that failed, in the order of the list, each with its error.</summary>
    public IReadOnlyList<BulkWriteFailure> Failures { get; }

    private static string Describe(int count, int taken, IReadOnlyList<BulkWriteFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        string first = failures is [var failure, ..] ? $" The first, at index {failure.Index}: {failure.Error.Message}" : string.Empty;
        int failedOfTaken = failures.Count(f => f.Index < taken);
        // "Handed to the cache", as Taken says, not "made": a taken write that failed while it still waited for room
        // (the token was cancelled, the cache stopped) was never made.
        return taken < count
            ? $"{taken} of {count} writes were handed to the cache; the write at index {taken} was refused and the {count - taken - 1} after it were not made"
                + (failedOfTaken > 0 ? $", and {failedOfTaken} of the {taken} handed to it failed." : ".") + first
            : $"All {count} writes were handed to the cache, and {failedOfTaken} failed." + first;
    }
}
