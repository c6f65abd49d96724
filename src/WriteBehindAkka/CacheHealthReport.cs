using WriteBehindAkka.Storage;

namespace WriteBehindAkka;

/// <summary>A cache's health and why: see <see cref="IWriteBehindCache{TKey, TValue}.GetHealth"/>.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Description">One sentence saying what is going on and, when something is wrong, what to do.</param>
/// <param name="FailureKind">
/// The kind of the store (or dead-letter sink) error being retried; <see cref="StoreErrorKind.Permanent"/> when
/// nothing is retried but most recent writes failed for good (dead-lettered); <see langword="null"/> otherwise.
/// </param>
/// <param name="LastError">The last error's message, or <see langword="null"/>.</param>
/// <param name="ErrorCode">The last error's code (PostgreSQL: the SQLSTATE), or <see langword="null"/>.</param>
/// <param name="FailingFor">How long the failure being retried has lasted (zero when none, and for failures that are not retried).</param>
/// <param name="PendingEntries">Entries written but not yet committed (or failed and not dead-lettered).</param>
/// <param name="PendingBytes">Their value bytes.</param>
public sealed record CacheHealthReport(
    CacheHealth Status,
    string Description,
    StoreErrorKind? FailureKind,
    string? LastError,
    string? ErrorCode,
    TimeSpan FailingFor,
    long PendingEntries,
    long PendingBytes);
