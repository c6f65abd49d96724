using System.ComponentModel;
using System.Globalization;

namespace WriteBehindAkka.LocalPostgres;

/// <summary>Finds the directory that holds PostgreSQL's server programs (initdb, pg_ctl, postgres).</summary>
internal static class PostgresBinaries
{
    /// <summary>The environment variable that names the directory explicitly.</summary>
    internal const string BinDirectoryVariable = "WRITEBEHIND_PG_BIN";

    /// <summary>Where Debian and Ubuntu install one directory per major version.</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>Finds the directory: <c>WRITEBEHIND_PG_BIN</c>, else <c>pg_config --bindir</c>, else the highest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The directory.</returns>
    /// <exception cref="LocalPostgresException">No directory with initdb and pg_ctl was found; the message lists what was searched.</exception>
    internal static Task<string> LocateAsync(CancellationToken cancellationToken) =>
        LocateAsync(Environment.GetEnvironmentVariable(BinDirectoryVariable), cancellationToken);

    /// <summary>Finds the directory, given the value of <c>WRITEBEHIND_PG_BIN</c> (so tests need not change the environment).</summary>
    /// <param name="fromEnvironment">The variable's value, or <see langword="null"/> when unset.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The directory.</returns>
    /// <exception cref="LocalPostgresException">No directory with initdb and pg_ctl was found; the message lists what was searched.</exception>
    internal static async Task<string> LocateAsync(string? fromEnvironment, CancellationToken cancellationToken)
    {
        var searched = new List<string>();
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (LocalPostgresOptions.ShellUnsafeCharacter(Path.GetFullPath(fromEnvironment)) is { } unsafeCharacter)
            {
                // pg_ctl and initdb start the server by its path, next to theirs, through /bin/sh inside double quotes.
                throw new LocalPostgresException(
                    $"{BinDirectoryVariable} is '{fromEnvironment}', which holds {unsafeCharacter}: pg_ctl starts the server from that directory through /bin/sh, " +
                    "which would expand it (the path is in double quotes). Install or copy the programs under a path without \", $, ` or \\.");
            }

            if (HasServerPrograms(fromEnvironment))
            {
                return Path.GetFullPath(fromEnvironment);
            }

            // An explicit setting that is wrong is a mistake to report, not to paper over with another server.
            throw new LocalPostgresException(
                $"{BinDirectoryVariable} is '{fromEnvironment}', but that directory has no initdb and pg_ctl. " +
                "Point it at PostgreSQL's bin directory (for example /usr/lib/postgresql/15/bin), or unset it.");
        }

        searched.Add($"{BinDirectoryVariable} (not set)");
        var fromPgConfig = await PgConfigBinDirAsync(cancellationToken).ConfigureAwait(false);
        if (fromPgConfig is not null && HasServerPrograms(fromPgConfig))
        {
            return fromPgConfig;
        }

        searched.Add(fromPgConfig is null ? "pg_config --bindir (pg_config not found or failed)" : $"pg_config --bindir ({fromPgConfig}: no initdb and pg_ctl)");
        var fromDebian = HighestDebianBinDir();
        if (fromDebian is not null)
        {
            return fromDebian;
        }

        searched.Add($"{DebianRoot}/*/bin (none with initdb and pg_ctl)");
        throw new LocalPostgresException(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found. Searched: " + string.Join("; ", searched) + ". " +
            "Install them (Debian/Ubuntu: apt-get install postgresql), or set " + BinDirectoryVariable +
            " to their directory, or set WRITEBEHIND_PG_CONNECTION to use a server you run yourself.");
    }

    /// <summary>Tells whether a directory holds initdb and pg_ctl.</summary>
    /// <param name="directory">The directory.</param>
    /// <returns><see langword="true"/> when both exist.</returns>
    private static bool HasServerPrograms(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    /// <summary>Asks <c>pg_config --bindir</c>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The directory it printed, or <see langword="null"/> when it is missing or fails.</returns>
    private static async Task<string?> PgConfigBinDirAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await CommandRunner.RunAsync("pg_config", ["--bindir"], TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            var directory = result.StandardOutput.Trim();
            return result.Succeeded && directory.Length > 0 ? directory : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Finds the highest major version under <c>/usr/lib/postgresql</c>.</summary>
    /// <returns>Its bin directory, or <see langword="null"/>.</returns>
    private static string? HighestDebianBinDir()
    {
        if (!Directory.Exists(DebianRoot))
        {
            return null;
        }

        return Directory.EnumerateDirectories(DebianRoot)
            .Select(dir => (Dir: dir, Version: decimal.TryParse(Path.GetFileName(dir), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : -1m))
            .Where(x => x.Version >= 0 && HasServerPrograms(Path.Combine(x.Dir, "bin")))
            .OrderByDescending(x => x.Version)
            .Select(x => Path.Combine(x.Dir, "bin"))
            .FirstOrDefault();
    }
}
