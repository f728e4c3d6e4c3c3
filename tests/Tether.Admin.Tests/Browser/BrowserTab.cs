using System.Text.Json;

namespace Tether.Admin.Tests.Browser;

/// <summary>A tab attached in flat mode: navigate, evaluate JavaScript (promises awaited), poll a condition, screenshot.</summary>
internal sealed class BrowserTab(DevToolsConnection devTools, string sessionId)
{
    public Task<JsonElement> SendAsync(string method, object? parameters = null) => devTools.SendAsync(method, parameters, sessionId);

    public async Task NavigateAsync(Uri url)
    {
        var result = await SendAsync("Page.navigate", new { url = url.ToString() });
        if (result.TryGetProperty("errorText", out var error))
        {
            throw new InvalidOperationException($"navigating to {url} failed: {error.GetString()}");
        }

        await WaitUntilAsync("document.readyState === 'complete'", "the page to load");
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value (by value, promises awaited).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"the page threw evaluating {expression}: {exception}");
        }

        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v.Clone() : default;
    }

    public async Task<string?> TextAsync(string selector)
    {
        var value = await EvaluateAsync($"document.querySelector({JsonSerializer.Serialize(selector)})?.textContent ?? null");
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>Polls a JavaScript condition until it is true; the bound guards against a hang and says what was awaited.</summary>
    public async Task WaitUntilAsync(string condition, string what, TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(20);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await EvaluateAsync($"!!({condition})");
            if (value.ValueKind == JsonValueKind.True)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {limit.TotalSeconds} s (waited for: {condition})");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the element's text equals <paramref name="expected"/>; returns the text seen last on timeout in the message.</summary>
    public Task WaitForTextAsync(string selector, string expected) =>
        WaitUntilAsync($"document.querySelector({JsonSerializer.Serialize(selector)})?.textContent === {JsonSerializer.Serialize(expected)}", $"{selector} showing \"{expected}\"");

    public async Task<byte[]> ScreenshotPngAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }
}
