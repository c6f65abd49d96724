using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <summary>The key types the store supports and their PostgreSQL types.</summary>
internal static class KeyTypes
{
    /// <summary>The supported key types, for messages.</summary>
    internal const string SupportedList = "string (text), long (bigint), int (integer) and Guid (uuid)";

    /// <summary>Returns the PostgreSQL type of a key type.</summary>
    /// <param name="keyType">The CLR key type.</param>
    /// <returns>The Npgsql type and the SQL type name.</returns>
    /// <exception cref="NotSupportedException">The key type is not supported.</exception>
    internal static (NpgsqlDbType DbType, string SqlName) For(Type keyType)
    {
        if (keyType == typeof(string))
        {
            return (NpgsqlDbType.Text, "text");
        }

        if (keyType == typeof(long))
        {
            return (NpgsqlDbType.Bigint, "bigint");
        }

        if (keyType == typeof(int))
        {
            return (NpgsqlDbType.Integer, "integer");
        }

        if (keyType == typeof(Guid))
        {
            return (NpgsqlDbType.Uuid, "uuid");
        }

        throw new NotSupportedException(
            $"PostgreSqlStore does not support the key type {keyType.FullName}. Use one of {SupportedList}, " +
            "for example by keying the cache on a string form of your key.");
    }
}
