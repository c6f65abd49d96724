using System.Diagnostics;
using System.Globalization;
using WriteBehindAkka.Keys;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// One batch laid out by column: the upserts' keys and one array per other column, and the deletes' keys and
/// versions. Both batch forms send these arrays, as unnest parameters or through COPY.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class BatchRows<TKey>
    where TKey : notnull
{
    /// <summary>Creates empty arrays of the given sizes.</summary>
    /// <param name="columns">The plan's columns (key first).</param>
    /// <param name="upserts">The number of upserts.</param>
    /// <param name="deletes">The number of deletes.</param>
    private BatchRows(IReadOnlyList<PlanColumn> columns, int upserts, int deletes)
    {
        UpsertKeys = new TKey[upserts];
        UpsertColumns = new Array[columns.Count];
        for (var i = 1; i < columns.Count; i++)
        {
            UpsertColumns[i] = columns[i].Role switch
            {
                ColumnRole.SerializedValue => new ReadOnlyMemory<byte>[upserts],
                ColumnRole.Mapped => new object[upserts],
                ColumnRole.Version => new long[upserts],
                ColumnRole.UpdatedAt => new DateTime[upserts],
                _ => throw new UnreachableException($"Column role {columns[i].Role} after the key."),
            };
        }

        DeleteKeys = new TKey[deletes];
        DeleteVersions = new long[deletes];
    }

    /// <summary>Gets the keys of the upserts.</summary>
    public TKey[] UpsertKeys { get; }

    /// <summary>Gets one array per column, indexed like the plan's columns; index 0 (the key) is unused.</summary>
    public Array[] UpsertColumns { get; }

    /// <summary>Gets the keys of the deletes.</summary>
    public TKey[] DeleteKeys { get; }

    /// <summary>Gets the versions of the deletes.</summary>
    public long[] DeleteVersions { get; }

    /// <summary>Returns a version as the UTC time a timestamptz column stores.</summary>
    /// <param name="version">The version.</param>
    /// <returns>The time.</returns>
    public static DateTime ToUtcTime(long version) => Versioning.ToTimestamp(version).UtcDateTime;

    /// <summary>Lays out a batch. For a custom table, each upsert's bytes are deserialized once and every getter is called.</summary>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="batch">The records.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="serializer">The cache's serializer.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="PostgreSqlMappingException">The serializer or a getter threw.</exception>
    public static BatchRows<TKey> Build<TValue>(IReadOnlyList<WriteRecord<TKey>> batch, TablePlan<TValue> plan, IValueSerializer<TValue> serializer)
    {
        var deletes = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            deletes += batch[i].Operation == WriteOperation.Delete ? 1 : 0;
        }

        var columns = plan.Columns;
        var rows = new BatchRows<TKey>(columns, batch.Count - deletes, deletes);
        int u = 0, d = 0;
        foreach (var i in InKeyOrder(batch))
        {
            var record = batch[i];
            if (record.Operation == WriteOperation.Delete)
            {
                rows.DeleteKeys[d] = record.Key;
                rows.DeleteVersions[d++] = record.Version;
                continue;
            }

            rows.UpsertKeys[u] = record.Key;
            var value = plan.IsDefaultTable ? default : Deserialize(record, serializer, plan);
            for (var c = 1; c < columns.Count; c++)
            {
                switch (columns[c].Role)
                {
                    case ColumnRole.SerializedValue:
                        ((ReadOnlyMemory<byte>[])rows.UpsertColumns[c])[u] = record.Value;
                        break;
                    case ColumnRole.Mapped:
                        ((object[])rows.UpsertColumns[c])[u] = AsSent(GetColumn(record, value!, plan, columns[c]), columns[c].DbType);
                        break;
                    case ColumnRole.Version:
                        ((long[])rows.UpsertColumns[c])[u] = record.Version;
                        break;
                    case ColumnRole.UpdatedAt:
                        ((DateTime[])rows.UpsertColumns[c])[u] = ToUtcTime(record.Version);
                        break;
                    default:
                        throw new UnreachableException($"Column role {columns[c].Role} after the key.");
                }
            }

            u++;
        }

        return rows;
    }

    /// <summary>
    /// Returns the batch's indexes in one order that every process computes alike. The server locks rows in the
    /// order they come, so two processes writing overlapping keys of one table (replicas of a service) lock them in
    /// one order and never deadlock; in the order the cache gathered them, a cycle aborted one of the batches
    /// (40P01) after <c>deadlock_timeout</c>, a second each. Any fixed order serves: text keys go by their stable
    /// hash, since comparing 10,000 strings cost several milliseconds a batch, a tenth of the drain's CPU.
    /// </summary>
    /// <param name="batch">The records.</param>
    /// <returns>The indexes, sorted.</returns>
    private static int[] InKeyOrder(IReadOnlyList<WriteRecord<TKey>> batch)
    {
        var order = new int[batch.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (typeof(TKey) == typeof(string))
        {
            var hashes = new ulong[batch.Count];
            for (var i = 0; i < hashes.Length; i++)
            {
                hashes[i] = StableHash.Hash((string)(object)batch[i].Key);
            }

            Array.Sort(hashes, order);
            return order;
        }

        var keys = new TKey[batch.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = batch[i].Key;
        }

        Array.Sort(keys, order, Comparer<TKey>.Default);
        return order;
    }

    /// <summary>Deserializes a record's bytes for a custom table.</summary>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="record">The record.</param>
    /// <param name="serializer">The serializer.</param>
    /// <param name="plan">The plan, for the message.</param>
    /// <returns>The value.</returns>
    private static TValue Deserialize<TValue>(in WriteRecord<TKey> record, IValueSerializer<TValue> serializer, TablePlan<TValue> plan)
    {
        try
        {
            return serializer.Deserialize(record.Value.Span);
        }
        catch (Exception ex)
        {
            throw new PostgreSqlMappingException(
                string.Create(CultureInfo.InvariantCulture, $"The value of key '{record.Key}' (version {record.Version}) could not be deserialized to write it to {plan.DisplayName}: {ex.Message} ") +
                "Make the serializer read what it writes; the record cannot be written as it is.",
                ex);
        }
    }

    /// <summary>
    /// Returns a getter's value as it is sent: <see langword="null"/> as <see cref="DBNull"/>, and, for a
    /// <c>timestamptz</c> column, an instant given with an offset or as local time as the same instant in UTC.
    /// Npgsql writes only UTC into timestamptz and refuses the rest, so a <c>DateTimeOffset.Now</c> away from UTC (or
    /// a <c>DateTime</c> that System.Text.Json read back as Local) made every record a refused row. A DateTime
    /// of unspecified kind names no instant and is left to Npgsql, which refuses it.
    /// </summary>
    /// <param name="value">The getter's value.</param>
    /// <param name="dbType">The column's type.</param>
    /// <returns>The value to send.</returns>
    private static object AsSent(object? value, NpgsqlTypes.NpgsqlDbType dbType) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset instant when dbType == NpgsqlTypes.NpgsqlDbType.TimestampTz => instant.UtcDateTime,
        DateTime { Kind: DateTimeKind.Local } local when dbType == NpgsqlTypes.NpgsqlDbType.TimestampTz => local.ToUniversalTime(),
        _ => value,
    };

    /// <summary>Calls a column's getter.</summary>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="record">The record, for the message.</param>
    /// <param name="value">The deserialized value.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="column">The column.</param>
    /// <returns>The column value.</returns>
    private static object? GetColumn<TValue>(in WriteRecord<TKey> record, TValue value, TablePlan<TValue> plan, PlanColumn column)
    {
        try
        {
            return plan.Getters[column.MappedIndex](value);
        }
        catch (Exception ex)
        {
            throw new PostgreSqlMappingException(
                string.Create(CultureInfo.InvariantCulture, $"The getter of column '{column.Name}' of {plan.DisplayName} threw for key '{record.Key}' (version {record.Version}): {ex.Message} ") +
                "Fix the getter given to mapping.Column; the record cannot be written as it is.",
                ex);
        }
    }
}
