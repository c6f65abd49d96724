using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>
/// Headless Chromium with a fresh profile, driven over the DevTools protocol on a loopback port it picks itself
/// (read from the profile's DevToolsActivePort file). Background networking, component updates, sync and QUIC are
/// off, so the only traffic is to the page under test.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly DevToolsConnection _connection;

    private HeadlessChromium(Process process, string profile, DevToolsConnection connection)
    {
        _process = process;
        _profile = profile;
        _connection = connection;
    }

    public static async Task<HeadlessChromium> LaunchAsync(CancellationToken cancellationToken)
    {
        string binary = ChromiumBinary.Find() ?? throw new InvalidOperationException("No Chromium binary: apt-get install -y chromium.");
        string profile = Directory.CreateTempSubdirectory("writebehind-chromium-").FullName;
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                     "--window-size=1280,1100", "about:blank",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {binary}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var endpoint = await ReadEndpointAsync(profile, process, cancellationToken);
            var connection = await DevToolsConnection.ConnectAsync(endpoint, cancellationToken);
            return new HeadlessChromium(process, profile, connection);
        }
        catch
        {
            Stop(process);
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    /// <summary>Opens a new tab on <paramref name="url"/>.</summary>
    public async Task<DevToolsPage> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        var target = await _connection.SendAsync("Target.createTarget", new { url = "about:blank" }, null, cancellationToken);
        var attached = await _connection.SendAsync(
            "Target.attachToTarget", new { targetId = target.GetProperty("targetId").GetString(), flatten = true }, null, cancellationToken);
        var page = new DevToolsPage(_connection, attached.GetProperty("sessionId").GetString()!);
        await page.SendAsync("Page.enable", null, cancellationToken);
        await page.SendAsync("Runtime.enable", null, cancellationToken);
        await page.SendAsync("Page.navigate", new { url = url.ToString() }, cancellationToken);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.SendAsync("Browser.close", null, null, budget.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
        }

        await _connection.DisposeAsync();
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                Stop(_process);
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for an instant; the temp directory is the system's to clean.
        }
    }

    private static async Task<Uri> ReadEndpointAsync(string profile, Process process, CancellationToken cancellationToken)
    {
        string file = Path.Combine(profile, "DevToolsActivePort");
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited with code {process.ExitCode} before it opened its DevTools port.");
            }

            if (File.Exists(file))
            {
                var lines = await File.ReadAllLinesAsync(file, cancellationToken);
                if (lines.Length >= 2 && int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    return new Uri($"ws://127.0.0.1:{port}{lines[1]}");
                }
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Kills the browser this fixture started, by its process (and its children).</summary>
    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
