namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>Finds a Chromium binary: <c>CHROMIUM_PATH</c>, else <c>chromium</c>, <c>chromium-browser</c> or <c>google-chrome</c> on the PATH.</summary>
public static class ChromiumBinary
{
    public const string PathVariable = "CHROMIUM_PATH";

    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in Names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
