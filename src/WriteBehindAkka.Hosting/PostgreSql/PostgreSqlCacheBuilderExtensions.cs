using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Hosting.PostgreSql;

/// <summary>Drains a hosted cache into PostgreSQL with <see cref="PostgreSqlStore{TKey, TValue}"/>.</summary>
public static class PostgreSqlCacheBuilderExtensions
{
    /// <summary>Drains the cache into PostgreSQL at <paramref name="connectionString"/>.</summary>
    /// <typeparam name="TKey">The key type: string, long, int or Guid.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="builder">The cache's builder.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="mapping">Your own table's mapping; <see langword="null"/> for the default key/value table.</param>
    /// <param name="ensureTable">Whether to create the default table (if missing) when the host starts; the start fails if the database cannot be reached.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="ensureTable"/> is set with a mapping.</exception>
    /// <remarks>Each cache needs a table of its own: a second cache of the host on the same table of the same database fails the start (<see cref="InvalidOperationException"/>).</remarks>
    public static WriteBehindCacheBuilder<TKey, TValue> UsePostgreSql<TKey, TValue>(
        this WriteBehindCacheBuilder<TKey, TValue> builder,
        string connectionString,
        PostgreSqlTableMapping<TKey, TValue>? mapping = null,
        bool ensureTable = false)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSql(options => options.ConnectionString = connectionString, mapping, ensureTable);
    }

    /// <summary>Drains the cache into PostgreSQL with the given store settings (connection string or data source, table, batch form, timeout).</summary>
    /// <typeparam name="TKey">The key type: string, long, int or Guid.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="builder">The cache's builder.</param>
    /// <param name="configure">Sets the store's options (named after the cache; <c>BindConfiguration</c> fills them from the section's <c>PostgreSql</c> child too).</param>
    /// <param name="mapping">Your own table's mapping; <see langword="null"/> for the default key/value table.</param>
    /// <param name="ensureTable">Whether to create the default table (if missing) when the host starts; the start fails if the database cannot be reached.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="ensureTable"/> is set with a mapping.</exception>
    /// <remarks>Each cache needs a table of its own: a second cache of the host on the same table of the same database fails the start (<see cref="InvalidOperationException"/>).</remarks>
    public static WriteBehindCacheBuilder<TKey, TValue> UsePostgreSql<TKey, TValue>(
        this WriteBehindCacheBuilder<TKey, TValue> builder,
        Action<PostgreSqlStoreOptions> configure,
        PostgreSqlTableMapping<TKey, TValue>? mapping = null,
        bool ensureTable = false)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        if (ensureTable && mapping is not null)
        {
            throw new ArgumentException(
                "ensureTable creates the default key/value table only, but a mapping is given: create your own table with your migrations and pass ensureTable: false.",
                nameof(ensureTable));
        }

        string name = builder.Name;
        builder.Services.Configure(name, configure);
        builder.Services.TryAddSingleton<PostgreSqlTableClaims>();
        return builder.UseStore(
            (services, serializer) =>
            {
                var options = services.GetRequiredService<IOptionsMonitor<PostgreSqlStoreOptions>>().Get(name);
                var store = new PostgreSqlStore<TKey, TValue>(options, serializer, mapping);
                try
                {
                    services.GetRequiredService<PostgreSqlTableClaims>().Claim(name, options, store.TableName);
                }
                catch (InvalidOperationException)
                {
                    // Nothing was opened yet: disposing only releases the data source it made.
                    store.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    throw;
                }

                return store;
            },
            ownsStore: true,
            ensureTable ? (store, cancellationToken) => ((PostgreSqlStore<TKey, TValue>)store).EnsureTableAsync(cancellationToken) : null);
    }
}
