using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <summary>A column of a custom table and how to get its value from a cache value.</summary>
/// <typeparam name="TValue">The cache's value type.</typeparam>
/// <param name="Name">The column name, exactly as in the database.</param>
/// <param name="Getter">Reads the column's value from a cache value; <see langword="null"/> writes SQL NULL.</param>
/// <param name="DbType">The column's PostgreSQL type.</param>
internal sealed record MappedColumn<TValue>(string Name, Func<TValue, object?> Getter, NpgsqlDbType DbType);
