using System.Text.Json;

namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>One tab, as a flat DevTools session.</summary>
public sealed class DevToolsPage(DevToolsConnection connection, string sessionId)
{
    public Task<JsonElement> SendAsync(string method, object? parameters, CancellationToken cancellationToken) =>
        connection.SendAsync(method, parameters, sessionId, cancellationToken);

    /// <summary>Evaluates an expression in the page (awaiting a promise) and returns its value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true }, cancellationToken);
        if (result.TryGetProperty("exceptionDetails", out var error))
        {
            throw new InvalidOperationException($"The page threw evaluating `{expression}`: {error.GetRawText()}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value : default;
    }

    /// <summary>Polls until <paramref name="condition"/> (a JavaScript expression) is true; fails with the last value of <paramref name="describe"/> when the budget runs out.</summary>
    public async Task WaitForAsync(string condition, string describe, TimeSpan within, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(within);
        try
        {
            while (true)
            {
                var value = await EvaluateAsync($"(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()", budget.Token);
                if (value.ValueKind == JsonValueKind.True)
                {
                    return;
                }

                await Task.Delay(100, budget.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var state = await EvaluateAsync(describe, cancellationToken);
            throw new TimeoutException($"`{condition}` was not true within {within}; {describe} = {state.GetRawText()}");
        }
    }

    /// <summary>Saves a PNG of the page.</summary>
    public async Task ScreenshotAsync(string path, CancellationToken cancellationToken)
    {
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true }, cancellationToken);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!), cancellationToken);
    }
}
