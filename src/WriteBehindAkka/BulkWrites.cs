namespace WriteBehindAkka;

/// <summary>The bulk writes of an <see cref="IWriteBehindCache{TKey, TValue}"/> that has no faster way: one Ask after another.</summary>
internal static class BulkWrites
{
    /// <summary>Makes each write in order, awaiting each, and reports as <see cref="BulkWriteException"/> when one fails (the rest are not made).</summary>
    public static async ValueTask<BulkWriteResult> OneByOneAsync<T>(IEnumerable<T> items, Func<T, ValueTask<WriteResult>> write, WriteConsistency consistency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToList();
        var reached = consistency;
        var versions = new long[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await write(list[i]).ConfigureAwait(false);
                (reached, versions[i]) = (result.Consistency, result.Version);
            }
            catch (Exception error)
            {
                throw new BulkWriteException(list.Count, i, [new BulkWriteFailure(i, error)]);
            }
        }

        return new BulkWriteResult(reached, versions);
    }
}
