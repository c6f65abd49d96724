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
}
