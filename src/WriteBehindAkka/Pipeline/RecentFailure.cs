using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>The last failure counted (a record that failed for good, or a read-through load): what the store said, and when.</summary>
/// <param name="Kind">How the store classified the error.</param>
/// <param name="Message">The error's message.</param>
/// <param name="ErrorCode">The store's code for it, if any.</param>
/// <param name="At">When (a <see cref="TimeProvider.GetTimestamp"/> reading).</param>
internal sealed record RecentFailure(StoreErrorKind Kind, string Message, string? ErrorCode, long At)
{
    /// <summary>Gets the error as health prints it: the code first when there is one (<c>23514: new row violates ...</c>).</summary>
    public string Text => (ErrorCode is null ? string.Empty : ErrorCode + ": ") + Message;
}
