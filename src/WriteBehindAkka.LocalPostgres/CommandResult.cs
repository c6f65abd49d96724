namespace WriteBehindAkka.LocalPostgres;

/// <summary>What a finished command printed and returned.</summary>
/// <param name="CommandLine">The command line, for messages.</param>
/// <param name="ExitCode">The exit code.</param>
/// <param name="StandardOutput">Everything it wrote to stdout.</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
internal readonly record struct CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Gets a value indicating whether the command exited with 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Describes the result for an exception message.</summary>
    /// <returns>The command line, the exit code and the output.</returns>
    public string Describe() =>
        $"'{CommandLine}' exited with {ExitCode}.{Environment.NewLine}{StandardError.Trim()}{Environment.NewLine}{StandardOutput.Trim()}".TrimEnd();
}
