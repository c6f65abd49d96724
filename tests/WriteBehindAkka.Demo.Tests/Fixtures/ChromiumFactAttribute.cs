namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>A test that drives the page in headless Chromium; skipped, saying why, only when no Chromium binary is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (ChromiumBinary.Find() is null)
        {
            Skip = $"No Chromium binary: install Debian's chromium package (apt-get install -y chromium), or set {ChromiumBinary.PathVariable}.";
        }
    }
}
