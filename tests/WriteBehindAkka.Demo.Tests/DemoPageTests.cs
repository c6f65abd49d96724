using System.Text.Json;
using WriteBehindAkka.Demo.Tests.Fixtures;

namespace WriteBehindAkka.Demo.Tests;

/// <summary>The live page in headless Chromium: the charts draw, and under load the numbers move.</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoPageTests(DemoPostgresFixture postgres)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static readonly string[] Charts = ["chart-writes", "chart-rows", "chart-backlog", "chart-lag"];

    [ChromiumFact]
    public async Task Page_UnderLoad_DrawsTheChartsAndTheNumbersMove()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = timeout.Token;
        await using var demo = await RunningDemo.StartAsync(postgres, "--Demo:SampleInterval=00:00:00.2500000");
        await using var browser = await HeadlessChromium.LaunchAsync(token);
        var page = await browser.OpenAsync(demo.BaseAddress, token);
        try
        {
            await page.WaitForAsync("window.demo && window.demo.updates >= 2", "window.demo && window.demo.updates", Within, token);

            var datasets = await page.EvaluateAsync(
                $"[{string.Join(", ", Charts.Select(c => $"'{c}'"))}].map(id => Chart.getChart(id).data.datasets[0].data.length)", token);
            var inked = await page.EvaluateAsync(
                $"[{string.Join(", ", Charts.Select(c => $"'{c}'"))}].map(id => {{ const c = document.getElementById(id); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++; return n; }})",
                token);
            string healthy = (await page.EvaluateAsync("document.getElementById('health').textContent", token)).GetString()!;

            await page.EvaluateAsync(
                "document.getElementById('load-rate').value = '2000'; document.getElementById('load-seconds').value = '20'; document.getElementById('load-start').click(); true",
                token);
            await page.WaitForAsync(
                "document.getElementById('load-status').textContent.startsWith('running')",
                "document.getElementById('load-status').textContent",
                Within,
                token);
            await page.WaitForAsync(
                "Math.max(...Chart.getChart('chart-writes').data.datasets[0].data) > 500 && Math.max(...Chart.getChart('chart-rows').data.datasets[0].data) > 0",
                "[Chart.getChart('chart-writes').data.datasets[0].data.slice(-5), Chart.getChart('chart-rows').data.datasets[0].data.slice(-5)]",
                Within,
                token);
            await page.WaitForAsync(
                "Number(document.getElementById('writes-rate').textContent.replace(/,/g, '')) > 0 && Number(document.getElementById('total-committed').textContent.replace(/,/g, '')) > 0",
                "[document.getElementById('writes-rate').textContent, document.getElementById('total-committed').textContent]",
                Within,
                token);
            await page.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "demo-page.png"), token);

            Assert.All(datasets.EnumerateArray(), length => Assert.True(length.GetInt32() >= 2, $"a chart holds {length} points"));
            Assert.All(inked.EnumerateArray(), pixels => Assert.True(pixels.GetInt32() > 1000, $"a chart canvas has only {pixels} drawn pixels"));
            Assert.Equal("Healthy", healthy);
        }
        finally
        {
            await demo.Client.DeleteAsync("/load", token);
        }
    }

    [ChromiumFact]
    public async Task Page_PostAScore_ShowsTheAnswerAndTheTopListAfterAFlush()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = timeout.Token;
        await using var demo = await RunningDemo.StartAsync(postgres);
        await using var browser = await HeadlessChromium.LaunchAsync(token);
        var page = await browser.OpenAsync(demo.BaseAddress, token);
        await page.WaitForAsync("window.demo && window.demo.updates >= 1", "window.demo && window.demo.updates", Within, token);

        await page.EvaluateAsync(
            "document.getElementById('score-player').value = '7'; document.getElementById('score-name').value = 'grace'; document.getElementById('score-value').value = '4242'; document.querySelector('#score-form button').click(); true",
            token);
        await page.WaitForAsync("document.getElementById('score-result').textContent.startsWith('202: Accepted')", "document.getElementById('score-result').textContent", Within, token);
        await page.EvaluateAsync("document.getElementById('flush').click(); true", token);
        await page.WaitForAsync("document.getElementById('flush-result').textContent.includes('everything committed')", "document.getElementById('flush-result').textContent", Within, token);
        await page.WaitForAsync("document.querySelector('#top tr') !== null", "document.getElementById('top').innerHTML", Within, token);

        var row = await page.EvaluateAsync("[...document.querySelectorAll('#top tr:first-child td')].map(td => td.textContent)", token);
        Assert.Equal(["1", "7", "grace", "4,242"], row.EnumerateArray().Select(cell => cell.GetString()));
    }
}
