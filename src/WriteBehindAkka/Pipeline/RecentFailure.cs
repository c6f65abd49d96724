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
    public string Text => WithCode(ErrorCode, Message);

    /// <summary>The message with its code first, once: Npgsql's PostgresException message already starts with its SQLSTATE.</summary>
    /// <param name="code">The store's code, if any.</param>
    /// <param name="message">The error's message.</param>
    /// <returns><c>code: message</c>, or the message as it is when there is no code or it starts with it.</returns>
    internal static string WithCode(string? code, string message) =>
        code is null || message.StartsWith(code + ": ", StringComparison.Ordinal) ? message : code + ": " + message;
}
