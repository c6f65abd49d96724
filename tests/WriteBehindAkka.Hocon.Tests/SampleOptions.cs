namespace WriteBehindAkka.Hocon.Tests;

/// <summary>An options class bound from HOCON in the binder tests.</summary>
public sealed class SampleOptions
{
    public TimeSpan Timeout { get; set; }

    public TimeSpan Interval { get; set; }

    public long MaxBytes { get; set; }

    public int Retries { get; set; }

    public bool Enabled { get; set; }

    public bool Verbose { get; set; } = true;

    public string Name { get; set; } = string.Empty;

    public string[] Roles { get; set; } = [];
}
