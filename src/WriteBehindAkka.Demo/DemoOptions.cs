namespace WriteBehindAkka.Demo;

/// <summary>The demo's settings: the <c>Demo</c> section of hocon/demo.conf, overridable from the command line.</summary>
public sealed class DemoOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Demo";

    /// <summary>Gets or sets the address to listen on when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> is given.</summary>
    /// <value>The default value is <c>http://127.0.0.1:5080</c>.</value>
    public string Url { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Gets or sets the leaderboard table (created at start when missing).</summary>
    /// <value>The default value is <c>leaderboard</c>.</value>
    public string Table { get; set; } = "leaderboard";

    /// <summary>Gets or sets how often the page's numbers are sampled.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many samples are kept for the charts.</summary>
    /// <value>The default value is 300.</value>
    public int History { get; set; } = 300;

    /// <summary>Gets or sets the load generator's start-up run.</summary>
    public LoadOptions Load { get; set; } = new();

    /// <summary>
    /// Binds the <c>Demo</c> section and checks it, before anything starts: a key that names no setting (a typo such as
    /// <c>--Demo:Load:WritesPerSecnd=5000</c> was ignored, and the demo ran without load) and a value out of range (a
    /// <c>SampleInterval</c> of 0, a start-up load the generator refuses) fail here, each named, instead of being
    /// ignored or stopping the host after it started.
    /// </summary>
    /// <param name="configuration">The application's configuration.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">The section is invalid; the message lists every problem.</exception>
    public static DemoOptions Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        DemoOptions options;
        try
        {
            options = section.Get<DemoOptions>() ?? new DemoOptions();
        }
        catch (InvalidOperationException error)
        {
            throw new ArgumentException(
                $"{error.Message} Durations are written [d.]hh:mm:ss[.fffffff] on the command line and in environment variables (00:00:00.5 for 500 ms).", error);
        }

        var problems = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!Names(typeof(DemoOptions)).Contains(child.Key))
            {
                problems.Add($"'{child.Path}' names no setting of the demo: use {string.Join(", ", Names(typeof(DemoOptions)))}.");
            }
        }

        foreach (var child in section.GetSection(nameof(Load)).GetChildren())
        {
            if (!Names(typeof(LoadOptions)).Contains(child.Key))
            {
                problems.Add($"'{child.Path}' names no setting of the load generator: use {string.Join(", ", Names(typeof(LoadOptions)))}.");
            }
        }

        if (options.SampleInterval <= TimeSpan.Zero || options.SampleInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"Demo:SampleInterval is {options.SampleInterval}; use more than zero and at most an hour, such as 00:00:01.");
        }

        if (options.History is < 1 or > 100_000)
        {
            problems.Add($"Demo:History is {options.History}; use 1 to 100000 samples.");
        }

        var load = options.Load;
        if (load.WritesPerSecond is < 0 or > 1_000_000 || load.Seconds is < 0 or > Demo.Load.LoadEndpoints.MaxSeconds || load.Players is < 1 or > Demo.Load.LoadEndpoints.MaxPlayers)
        {
            problems.Add(
                $"Demo:Load is {load.WritesPerSecond} writes per second, {load.Seconds} seconds, {load.Players} players: use 0 (off) to 1000000 writes per second, " +
                $"0 to {Demo.Load.LoadEndpoints.MaxSeconds} seconds (0 = until DELETE /load), and 1 to {Demo.Load.LoadEndpoints.MaxPlayers} players.");
        }

        return problems.Count == 0
            ? options
            : throw new ArgumentException($"Invalid demo settings:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}");
    }

    private static HashSet<string> Names(Type type) =>
        type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
}
