using NpgsqlTypes;

namespace WriteBehindAkka.PostgreSql;

/// <summary>One column the store writes.</summary>
/// <param name="Name">The name as given (for reading a row by name).</param>
/// <param name="Role">What the column holds.</param>
/// <param name="DbType">Its PostgreSQL type, as Npgsql names it.</param>
/// <param name="MappedIndex">For <see cref="ColumnRole.Mapped"/>, the index of its getter; otherwise -1.</param>
internal sealed record PlanColumn(string Name, ColumnRole Role, NpgsqlDbType DbType, int MappedIndex = -1)
{
    /// <summary>Gets the name, quoted for SQL.</summary>
    public string Quoted { get; } = SqlIdentifier.Quote(Name);
}
