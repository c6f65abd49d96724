using Npgsql;
using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <content>The unnest batch form: one round trip, one implicit transaction.</content>
public sealed partial class PostgreSqlStore<TKey, TValue>
{
    /// <summary>Makes an array parameter.</summary>
    /// <param name="array">The values.</param>
    /// <param name="elementType">The element type.</param>
    /// <returns>The parameter.</returns>
    private static NpgsqlParameter ArrayParameter(Array array, NpgsqlDbType elementType) =>
        new() { Value = array, NpgsqlDbType = NpgsqlDbType.Array | elementType };

    /// <summary>
    /// Sends the upsert and the delete as one <see cref="NpgsqlBatch"/>: the statements go out together and are
    /// followed by a single Sync, so the server runs them as one implicit transaction (all or nothing).
    /// </summary>
    /// <param name="rows">The batch by column.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>A task that completes when the transaction is committed.</returns>
    private async ValueTask WriteUnnestAsync(BatchRows<TKey> rows, CancellationToken cancellationToken)
    {
        var batch = _dataSource.CreateBatch();
        await using var batchScope = batch.ConfigureAwait(false);
        batch.Timeout = _timeoutSeconds;
        if (rows.UpsertKeys.Length > 0)
        {
            var upsert = new NpgsqlBatchCommand(_plan.Sql.UpsertUnnest);
            upsert.Parameters.Add(ArrayParameter(rows.UpsertKeys, _plan.Key.DbType));
            for (var c = 1; c < _plan.Columns.Count; c++)
            {
                upsert.Parameters.Add(ArrayParameter(rows.UpsertColumns[c], _plan.Columns[c].DbType));
            }

            batch.BatchCommands.Add(upsert);
        }

        if (rows.DeleteKeys.Length > 0)
        {
            batch.BatchCommands.Add(DeleteCommand(rows));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The batch's deletes as one statement over arrays of keys (and guard values), for both batch forms: the COPY
    /// form does not stage them, since a delete has no values and a staging column of a NOT NULL domain refuses the
    /// NULL a staged delete would carry.
    /// </summary>
    /// <param name="rows">The batch by column.</param>
    /// <returns>The command.</returns>
    private NpgsqlBatchCommand DeleteCommand(BatchRows<TKey> rows)
    {
        var delete = new NpgsqlBatchCommand(_plan.Sql.DeleteUnnest);
        delete.Parameters.Add(ArrayParameter(rows.DeleteKeys, _plan.Key.DbType));
        switch (_plan.Guard)
        {
            case VersionGuard.Version:
                delete.Parameters.Add(ArrayParameter(rows.DeleteVersions, NpgsqlDbType.Bigint));
                break;
            case VersionGuard.UpdatedAt:
                delete.Parameters.Add(ArrayParameter(Array.ConvertAll(rows.DeleteVersions, BatchRows<TKey>.ToUtcTime), NpgsqlDbType.TimestampTz));
                break;
            case VersionGuard.None:
                break;
        }

        return delete;
    }
}
