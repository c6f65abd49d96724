using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <content>The COPY batch form: binary COPY into a session staging table, then one merge, in one transaction.</content>
public sealed partial class PostgreSqlStore<TKey, TValue>
{
    /// <summary>
    /// Runs BEGIN + create-staging-table-if-missing, a binary COPY of the upserts into the staging table, the
    /// merge of the upserts and the deletes (by arrays of keys, as the unnest form does), and COMMIT. The staging table is a temporary table with ON COMMIT DELETE ROWS,
    /// made once per server session; Npgsql resets a pooled connection's session (DISCARD ALL) when it goes back to
    /// the pool unless the connection string says <c>No Reset On Close=true</c>, in which case it is made again.
    /// </summary>
    /// <param name="rows">The batch by column.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>A task that completes when the transaction is committed.</returns>
    private async ValueTask WriteCopyAsync(BatchRows<TKey> rows, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                if (rows.UpsertKeys.Length > 0)
                {
                    var create = new NpgsqlCommand(_plan.Sql.CreateStage, connection, transaction) { CommandTimeout = _timeoutSeconds };
                    await using (create.ConfigureAwait(false))
                    {
                        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await CopyIntoStageAsync(connection, rows, cancellationToken).ConfigureAwait(false);
                }

                var merge = new NpgsqlBatch(connection, transaction) { Timeout = _timeoutSeconds };
                await using (merge.ConfigureAwait(false))
                {
                    if (rows.UpsertKeys.Length > 0)
                    {
                        merge.BatchCommands.Add(new NpgsqlBatchCommand(_plan.Sql.MergeUpserts));
                    }

                    if (rows.DeleteKeys.Length > 0)
                    {
                        merge.BatchCommands.Add(DeleteCommand(rows));
                    }

                    await merge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes every upsert into the staging table: the delete flag (false: deletes are not staged), the key, then the plan's columns.</summary>
    /// <param name="connection">The open connection, in the transaction.</param>
    /// <param name="rows">The batch by column.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes when the server has the rows.</returns>
    private async Task CopyIntoStageAsync(NpgsqlConnection connection, BatchRows<TKey> rows, CancellationToken cancellationToken)
    {
        var columns = _plan.Columns;
        var importer = await connection.BeginBinaryImportAsync(_plan.Sql.CopyIntoStage, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            importer.Timeout = TimeSpan.FromSeconds(_timeoutSeconds);
            for (var u = 0; u < rows.UpsertKeys.Length; u++)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(rows.UpsertKeys[u], _plan.Key.DbType, cancellationToken).ConfigureAwait(false);
                for (var c = 1; c < columns.Count; c++)
                {
                    await WriteUpsertCellAsync(importer, rows.UpsertColumns[c], u, columns[c], cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one upsert cell.</summary>
    /// <param name="importer">The COPY.</param>
    /// <param name="column">The column's array.</param>
    /// <param name="row">The row index.</param>
    /// <param name="plan">The column.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    private static Task WriteUpsertCellAsync(NpgsqlBinaryImporter importer, Array column, int row, PlanColumn plan, CancellationToken cancellationToken) =>
        plan.Role switch
        {
            ColumnRole.SerializedValue => importer.WriteAsync(((ReadOnlyMemory<byte>[])column)[row], plan.DbType, cancellationToken),
            ColumnRole.Version => importer.WriteAsync(((long[])column)[row], NpgsqlDbType.Bigint, cancellationToken),
            ColumnRole.UpdatedAt => importer.WriteAsync(((DateTime[])column)[row], NpgsqlDbType.TimestampTz, cancellationToken),
            ColumnRole.Mapped => ((object[])column)[row] is var value && value is DBNull
                ? importer.WriteNullAsync(cancellationToken)
                : importer.WriteAsync(value, plan.DbType, cancellationToken),
            _ => throw new UnreachableException($"Column role {plan.Role} after the key."),
        };
}
