using System.ComponentModel;
using System.Diagnostics;

namespace WriteBehindAkka.LocalPostgres;

/// <summary>
/// Runs a program without a shell (arguments are passed as a list, so no path or value is ever parsed by a
/// shell) and collects its output. When the current process is root, PostgreSQL's programs refuse to run, so
/// they are run as the <c>postgres</c> user through <c>runuser</c>.
/// </summary>
internal static class CommandRunner
{
    /// <summary>The OS user PostgreSQL's programs run as when the current process is root.</summary>
    internal const string PostgresUser = "postgres";

    /// <summary>
    /// Gets a value indicating whether the current process runs as root: its effective user id is 0, whatever that
    /// account is called (a renamed root, or uid 0 in a container under another name, is root to PostgreSQL too).
    /// </summary>
    internal static bool IsRoot { get; } = !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    /// <summary>Runs a PostgreSQL program, as the <c>postgres</c> user when the current process is root.</summary>
    /// <param name="program">The program's full path.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="timeout">How long it may run before it is killed.</param>
    /// <param name="cancellationToken">Cancels the wait and kills the program.</param>
    /// <param name="environment">Variables to add to its environment (which the processes it starts inherit).</param>
    /// <returns>The result.</returns>
    internal static Task<CommandResult> RunPostgresProgramAsync(
        string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (!IsRoot)
        {
            return RunAsync(program, arguments, timeout, cancellationToken, environment);
        }

        var wrapped = new List<string>(arguments.Count + 4) { "-u", PostgresUser, "--", program };
        wrapped.AddRange(arguments);
        return RunAsync("runuser", wrapped, timeout, cancellationToken, environment);
    }

    /// <summary>Runs a program and collects its output.</summary>
    /// <param name="program">The program: a full path, or a name looked up on PATH.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="timeout">How long it may run before it is killed.</param>
    /// <param name="cancellationToken">Cancels the wait and kills the program.</param>
    /// <param name="environment">Variables to add to its environment (which the processes it starts inherit).</param>
    /// <returns>The result.</returns>
    /// <exception cref="Win32Exception">The program could not be started (for example, it does not exist).</exception>
    /// <exception cref="TimeoutException">The program ran longer than <paramref name="timeout"/>.</exception>
    internal static async Task<CommandResult> RunAsync(
        string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // The postgres user cannot enter most callers' directories (for example /root): start from '/'.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // A fixed locale keeps initdb from refusing a UTF8 cluster under an unusual LANG, and keeps messages in English.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var commandLine = program + " " + string.Join(' ', arguments);
        using var process = new Process { StartInfo = startInfo };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The program is ours: kill it so that it does not outlive the wait.
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{commandLine}' did not finish within {timeout}; it was killed.");
        }

        return new CommandResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
