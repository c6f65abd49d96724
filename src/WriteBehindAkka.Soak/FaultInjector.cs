using Npgsql;
using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.Soak;

/// <summary>Injects one fault at a time into the cluster the soak run owns, and counts what was survived.</summary>
internal sealed class FaultInjector(LocalPostgresCluster cluster, NpgsqlDataSource admin, NpgsqlDataSource storeSource, string application, Random random)
{
    private readonly Dictionary<string, int> _survived = [];
    private readonly List<string> _skipped = [];

    private static readonly string[] Faults =
    [
        "server stopped", "postmaster killed", "backends terminated", "rows locked past statement_timeout", "connection pool exhausted", "server throttled",
    ];

    public IReadOnlyDictionary<string, int> Survived => _survived;

    public IReadOnlyList<string> Skipped => _skipped;

    public string Describe() => _survived.Count == 0 ? "none yet" : string.Join(", ", _survived.OrderBy(f => f.Key).Select(f => $"{f.Value}x {f.Key}"));

    /// <summary>Picks a fault, runs it to its end (the server is up again afterwards), and counts it.</summary>
    public async Task RunOneAsync(CancellationToken cancellationToken)
    {
        string fault = Faults[random.Next(Faults.Length)];
        var hold = TimeSpan.FromMilliseconds(random.Next(1_000, 4_000));
        try
        {
            switch (fault)
            {
                case "server stopped":
                    await cluster.StopAsync(cancellationToken);
                    await Task.Delay(hold, cancellationToken);
                    await cluster.StartAgainAsync(cancellationToken);
                    break;
                case "postmaster killed":
                    await cluster.KillAsync(cancellationToken);
                    await Task.Delay(hold, cancellationToken);
                    await cluster.StartAgainAsync(cancellationToken);
                    break;
                case "backends terminated":
                    await ExecuteAsync($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{application}'", cancellationToken);
                    break;
                case "rows locked past statement_timeout":
                    await using (var connection = await admin.OpenConnectionAsync(cancellationToken))
                    await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
                    {
                        await using var command = new NpgsqlCommand("SELECT count(*) FROM (SELECT 1 FROM soak_scores WHERE id % 7 = 0 FOR UPDATE) l", connection, transaction);
                        await command.ExecuteScalarAsync(cancellationToken);
                        await Task.Delay(hold, cancellationToken);
                        await transaction.RollbackAsync(cancellationToken);
                    }

                    break;
                case "connection pool exhausted":
                    var held = new List<NpgsqlConnection>();
                    try
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            held.Add(await storeSource.OpenConnectionAsync(cancellationToken));
                        }

                        await Task.Delay(hold, cancellationToken);
                    }
                    finally
                    {
                        foreach (var connection in held)
                        {
                            await connection.DisposeAsync();
                        }
                    }

                    break;
                default:
                    await ExecuteAsync("ALTER TABLE soak_scores ENABLE TRIGGER soak_throttle", cancellationToken);
                    try
                    {
                        await Task.Delay(hold * 2, cancellationToken);
                    }
                    finally
                    {
                        await ExecuteAsync("ALTER TABLE soak_scores DISABLE TRIGGER soak_throttle", CancellationToken.None);
                    }

                    break;
            }

            _survived[fault] = _survived.GetValueOrDefault(fault) + 1;
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            // The fault could not be set up (the pool was busy, the server slow to answer): note it and go on.
            _skipped.Add($"{fault}: {error.Message}");
        }
        finally
        {
            if (!cluster.IsRunning)
            {
                await cluster.StartAgainAsync(CancellationToken.None);
            }
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
