using System.Globalization;

namespace WriteBehindAkka.LocalPostgres;

/// <summary>
/// A throwaway PostgreSQL cluster on a loopback port, made from the installed server programs with
/// <c>initdb</c> and <c>pg_ctl</c>: for tests, the demo and the benchmarks. No server needs to be running.
/// </summary>
/// <remarks>
/// <para>
/// The programs are found through <c>WRITEBEHIND_PG_BIN</c>, then <c>pg_config --bindir</c>, then the highest
/// <c>/usr/lib/postgresql/*/bin</c>. When the current process is root (effective uid 0, whatever the account is called) they run as the <c>postgres</c> OS user
/// (through <c>runuser</c>), which then owns the data directory. The server listens on 127.0.0.1 only, trusts
/// every local connection (<c>initdb -A trust</c>) and logs to <c>server.log</c> in the data directory.
/// </para>
/// <para>
/// Only the postmaster this object started is ever stopped or killed, by its process id. If the process itself
/// is killed, the server keeps running until the next <see cref="StartAsync"/> of a throwaway cluster (in any
/// process, with the same temp directory) finds its folder, whose owner file names a process that is gone, and
/// stops that server (<c>pg_ctl stop -m immediate</c>) and deletes the folder; or stop it yourself with
/// <c>pg_ctl stop -D DATADIR</c>.
/// </para>
/// <para>
/// When <see cref="ExternalConnectionString"/> returns a value, callers should use that server instead of
/// starting one; tests that stop or kill the server must then be skipped, since the server is not theirs.
/// </para>
/// </remarks>
public sealed partial class LocalPostgresCluster : IAsyncDisposable
{
    /// <summary>The environment variable that names an existing server to use instead of a throwaway one.</summary>
    public const string ExternalConnectionVariable = "WRITEBEHIND_PG_CONNECTION";

    /// <summary>The validated copy of the options.</summary>
    private readonly LocalPostgresOptions _options;

    /// <summary>The directory with initdb, pg_ctl and postgres.</summary>
    private readonly string _binDirectory;

    /// <summary>The directory deleted on dispose: the temp root made for the cluster, or the given data directory.</summary>
    private readonly string _ownedDirectory;

    /// <summary>
    /// Whether this object makes the cluster (so it may delete it): the data directory was missing or empty. A
    /// reused cluster is never deleted, and a directory that held anything else is refused, never touched.
    /// </summary>
    private bool _createdDirectory;

    /// <summary>Whether the data directory existed (empty) before: then only what is in it is deleted, not the directory itself.</summary>
    private readonly bool _directoryExisted;

    /// <summary>Serializes start, stop, kill and dispose.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The lifecycle state; changed under <see cref="_gate"/>.</summary>
    private ClusterState _state = ClusterState.Stopped;

    /// <summary>Creates the object; <see cref="StartAsync"/> does the work.</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="binDirectory">The server programs' directory.</param>
    /// <param name="ownedDirectory">The directory to delete on dispose.</param>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="port">The port.</param>
    private LocalPostgresCluster(LocalPostgresOptions options, string binDirectory, string ownedDirectory, string dataDirectory, int port)
    {
        _directoryExisted = Directory.Exists(dataDirectory);
        _createdDirectory = !_directoryExisted || !Directory.EnumerateFileSystemEntries(dataDirectory).Any();
        _options = options;
        _binDirectory = binDirectory;
        _ownedDirectory = ownedDirectory;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>Gets the loopback port the server listens on. It stays the same across <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Gets the cluster's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the process id of the postmaster (the first line of <c>postmaster.pid</c> at the last start).</summary>
    public int PostmasterPid { get; private set; }

    /// <summary>Gets a value indicating whether the postmaster this object started is alive.</summary>
    public bool IsRunning => _state == ClusterState.Running && IsOurPostmasterAlive();

    /// <summary>
    /// Gets a connection string for the superuser <c>postgres</c> on database <c>postgres</c>, with pooling
    /// (at most 50 connections per pool), a 15-second connect timeout and detailed errors (the server is a
    /// throwaway one, so showing parameter values in errors is harmless).
    /// </summary>
    public string ConnectionString => string.Create(
        CultureInfo.InvariantCulture,
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=15;Include Error Detail=true");

    /// <summary>
    /// Returns the connection string in <c>WRITEBEHIND_PG_CONNECTION</c>: when it is set, use that server
    /// instead of starting a throwaway one (and skip tests that stop or kill the server).
    /// </summary>
    /// <returns>The connection string, or <see langword="null"/> when the variable is unset or blank.</returns>
    public static string? ExternalConnectionString()
    {
        var value = Environment.GetEnvironmentVariable(ExternalConnectionVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>Creates (or reuses, see <see cref="LocalPostgresOptions.DataDirectory"/>) a cluster and starts its server.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running cluster. Dispose it to stop the server and delete the directory.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="LocalPostgresException">The programs are missing, or initdb or the server failed; the message says why.</exception>
    public static async Task<LocalPostgresCluster> StartAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        var validated = (options ?? new LocalPostgresOptions()).ValidatedCopy();
        var binDirectory = await PostgresBinaries.LocateAsync(cancellationToken).ConfigureAwait(false);
        if (CommandRunner.IsRoot)
        {
            await EnsurePostgresUserAsync(cancellationToken).ConfigureAwait(false);
        }

        // A process killed while its cluster ran (SIGKILL, out of memory, a test run's hang timeout) left its server
        // running and its folder behind: stop and delete those now.
        await SweepAbandonedClustersAsync(binDirectory, cancellationToken).ConfigureAwait(false);

        string ownedDirectory;
        string dataDirectory;
        if (validated.DataDirectory is { } given)
        {
            ownedDirectory = dataDirectory = given;
            if (Directory.Exists(given) && !File.Exists(Path.Combine(given, "PG_VERSION")) && Directory.EnumerateFileSystemEntries(given).Any())
            {
                throw new LocalPostgresException(
                    $"The DataDirectory {given} exists and is neither empty nor a PostgreSQL cluster (it has no PG_VERSION), so it is left alone: " +
                    "name a missing or empty directory to make a cluster in, or one that holds a cluster to reuse it.");
            }
        }
        else
        {
            // Normalized as pg_ctl normalizes -D, so that the postmaster's command line names the same path.
            ownedDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(Path.GetTempPath(), TempFolderPrefix + Guid.NewGuid().ToString("N")[..12])));
            dataDirectory = Path.Combine(ownedDirectory, "data");
            if (LocalPostgresOptions.ShellUnsafeCharacter(ownedDirectory) is { } unsafeCharacter)
            {
                throw new LocalPostgresException(
                    $"The temp directory {Path.GetTempPath()} holds {unsafeCharacter}, which pg_ctl's shell would expand (it quotes the data directory in double quotes): " +
                    "set TMPDIR to a directory without \", $, ` or \\ (for example /tmp), or set DataDirectory.");
            }
        }

        var cluster = new LocalPostgresCluster(validated, binDirectory, ownedDirectory, dataDirectory, validated.Port ?? 0);
        try
        {
            await cluster.InitializeAsync(cancellationToken).ConfigureAwait(false);
            await cluster.StartServerAsync(pickNewPort: validated.Port is null, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch (Exception failure)
        {
            try
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception cleanup)
            {
                throw new LocalPostgresException($"{failure.Message}{Environment.NewLine}Cleaning up after that failed too: {cleanup.Message}", failure);
            }

            throw;
        }
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>) and keeps the data. Does nothing when it is not running.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the server has exited.</returns>
    /// <exception cref="LocalPostgresException">pg_ctl failed and the server is still running.</exception>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_state == ClusterState.Disposed, this);
            await StopServerAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Starts the server again on the same data directory and port, after <see cref="StopAsync"/> or
    /// <see cref="KillAsync"/> (crash recovery then replays the WAL). Does nothing when it is running.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    /// <exception cref="LocalPostgresException">The server failed to start; the message holds the end of its log.</exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_state == ClusterState.Disposed, this);
            if (_state == ClusterState.Running && IsOurPostmasterAlive())
            {
                return;
            }

            await StartServerAsync(pickNewPort: false, cancellationToken).ConfigureAwait(false); // which removes stale lock files first
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Kills the postmaster with SIGKILL, as a crash would, and waits until it and its children are gone.
    /// The data directory is left as a crash leaves it; <see cref="StartAgainAsync"/> recovers it.
    /// Does nothing when the server is not running.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when no process of the server is left.</returns>
    /// <exception cref="LocalPostgresException">The processes did not exit within 30 seconds.</exception>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_state == ClusterState.Disposed, this);
            await KillServerAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops the server (killing it if a stop fails) and deletes the directory, unless it is to be kept
    /// (<see cref="LocalPostgresOptions.KeepDataDirectory"/>) or held a cluster before this object started it.
    /// </summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_state == ClusterState.Disposed)
            {
                return;
            }

            try
            {
                await StopServerAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is LocalPostgresException or TimeoutException)
            {
                await KillServerAsync(CancellationToken.None).ConfigureAwait(false);
            }

            _state = ClusterState.Disposed;

            // A server another object or process started on the cluster meanwhile (reusing it, or winning a start at
            // the same time) keeps its directory: ours is stopped, so a live one named in postmaster.pid is not ours.
            if (_createdDirectory && !_options.KeepDataDirectory && Directory.Exists(_ownedDirectory)
                && !(ReadPidFile() is { } other && MayBeAPostmaster(other)))
            {
                if (_directoryExisted)
                {
                    // An empty directory the caller made: leave it as it was, empty.
                    foreach (var entry in new DirectoryInfo(_ownedDirectory).EnumerateFileSystemInfos())
                    {
                        if (entry is DirectoryInfo directory)
                        {
                            directory.Delete(recursive: true);
                        }
                        else
                        {
                            entry.Delete();
                        }
                    }
                }
                else
                {
                    Directory.Delete(_ownedDirectory, recursive: true);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
