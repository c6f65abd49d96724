using System.Globalization;
using System.Text.RegularExpressions;

namespace WriteBehindAkka.LocalPostgres;

/// <summary>Settings of a throwaway cluster started by <see cref="LocalPostgresCluster.StartAsync"/>.</summary>
/// <remarks>
/// The defaults suit tests: durability is traded for speed (<see cref="Fsync"/> off). A benchmark that
/// measures what a real server does turns <see cref="Fsync"/> on. The options are validated and copied
/// when the cluster starts; changing them afterwards changes nothing.
/// </remarks>
public sealed partial class LocalPostgresOptions
{
    /// <summary>The synchronous_commit values PostgreSQL accepts.</summary>
    private static readonly string[] SynchronousCommitValues = ["on", "off", "local", "remote_write", "remote_apply"];

    /// <summary>
    /// Gets or sets the data directory. A directory that already holds a cluster (a <c>PG_VERSION</c> file) is
    /// reused as it is; otherwise a new cluster is created there with <c>initdb</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: a new directory under the system's temp directory.</value>
    public string? DataDirectory { get; set; }

    /// <summary>Gets or sets a value indicating whether disposing the cluster keeps the data directory.</summary>
    /// <value>The default value is <see langword="false"/>: the directory is deleted.</value>
    public bool KeepDataDirectory { get; set; }

    /// <summary>Gets or sets the loopback port the server listens on.</summary>
    /// <value>The default value is <see langword="null"/>: a free port on 127.0.0.1 is picked.</value>
    public int? Port { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the server flushes its writes to disk (<c>fsync</c>). When off,
    /// <c>full_page_writes</c> is off too: a crash of the machine can corrupt the cluster, a crash of the server
    /// cannot.
    /// </summary>
    /// <value>The default value is <see langword="false"/> (fast, for tests). Benchmarks turn it on.</value>
    public bool Fsync { get; set; }

    /// <summary>Gets or sets the <c>synchronous_commit</c> setting: on, off, local, remote_write or remote_apply.</summary>
    /// <value>The default value is <see langword="null"/>: the server's default (on).</value>
    public string? SynchronousCommit { get; set; }

    /// <summary>Gets or sets the <c>shared_buffers</c> setting, for example <c>256MB</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the server's default (128MB).</value>
    public string? SharedBuffers { get; set; }

    /// <summary>Gets or sets the <c>max_connections</c> setting.</summary>
    /// <value>The default value is 100.</value>
    public int MaxConnections { get; set; } = 100;

    /// <summary>Gets or sets how long <c>pg_ctl</c> may wait for the server to start or stop.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Validates the options and returns a copy that later changes cannot reach.</summary>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists every problem.</exception>
    internal LocalPostgresOptions ValidatedCopy()
    {
        var problems = new List<string>();
        if (DataDirectory is not null && string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("DataDirectory is blank: set a path, or leave it null for a new directory under the temp directory.");
        }
        else if (DataDirectory is not null && ShellUnsafeCharacter(Path.GetFullPath(DataDirectory)) is { } unsafeCharacter)
        {
            problems.Add($"DataDirectory {Path.GetFullPath(DataDirectory)} holds {unsafeCharacter}, which pg_ctl's shell would expand (it quotes the directory in double quotes): name a directory without \", $, ` or \\.");
        }

        if (Port is { } port && (port < 1 || port > 65535))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Port is {port}: use 1 to 65535, or leave it null to pick a free port."));
        }

        if (SynchronousCommit is { } sync && !SynchronousCommitValues.Contains(sync, StringComparer.Ordinal))
        {
            problems.Add($"SynchronousCommit is '{sync}': use one of {string.Join(", ", SynchronousCommitValues)}, or leave it null.");
        }

        if (SharedBuffers is { } buffers && !MemorySetting().IsMatch(buffers))
        {
            problems.Add($"SharedBuffers is '{buffers}': use a whole number with an optional unit kB, MB, GB or TB (for example 256MB), or leave it null.");
        }

        if (MaxConnections < 1 || MaxConnections > 10_000)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxConnections is {MaxConnections}: use 1 to 10000."));
        }

        if (StartTimeout < TimeSpan.FromSeconds(1) || StartTimeout > TimeSpan.FromHours(1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"StartTimeout is {StartTimeout}: use 1 second to 1 hour."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                "LocalPostgresOptions are invalid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", problems));
        }

        return new LocalPostgresOptions
        {
            // Normalized as pg_ctl normalizes -D (no trailing separator, no doubled ones), so that the postmaster's
            // command line names the same path and the server is recognized as this cluster's.
            DataDirectory = DataDirectory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(DataDirectory)),
            KeepDataDirectory = KeepDataDirectory,
            Port = Port,
            Fsync = Fsync,
            SynchronousCommit = SynchronousCommit,
            SharedBuffers = SharedBuffers,
            MaxConnections = MaxConnections,
            StartTimeout = StartTimeout,
        };
    }

    /// <summary>
    /// Finds a character that <c>pg_ctl start</c> cannot pass on: it starts the server through <c>/bin/sh -c</c> with the
    /// data directory (and the log, in it) inside double quotes, where ", $, ` and \ keep their meaning to the shell.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <returns>The character, quoted, or <see langword="null"/> when there is none.</returns>
    internal static string? ShellUnsafeCharacter(string path)
    {
        var index = path.AsSpan().IndexOfAny("\"$`\\");
        return index < 0 ? null : "'" + path[index] + "'";
    }

    /// <summary>A PostgreSQL memory setting: digits and an optional unit.</summary>
    /// <returns>The expression.</returns>
    [GeneratedRegex("^[0-9]{1,9}(kB|MB|GB|TB)?$", RegexOptions.CultureInvariant)]
    private static partial Regex MemorySetting();
}
