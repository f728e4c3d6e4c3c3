using System.Globalization;
using Tether.Admin.Tests.Browser;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>The dashboard on the real admin listener, in a real headless Chromium driven over the DevTools protocol.</summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task The_page_shows_the_count_of_api_info_and_its_disconnect_button_kicks_the_client()
    {
        await using var host = await DashboardHost.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await host.ConnectClientAsync("device-" + i);
        }

        await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 3, "3 connections on the server");
        await using var chromium = await Chromium.StartAsync();
        var tab = await chromium.OpenTabAsync();

        await tab.NavigateAsync(new Uri(host.BaseAddress, "/?key=" + Uri.EscapeDataString(host.ApiKey)));
        await tab.WaitForTextAsync("[data-metric=connections]", "3");
        Assert.Equal(3, await host.InfoConnectionsAsync());
        Assert.Equal("3", await tab.TextAsync("[data-metric=connections]"));
        Assert.Equal((await host.InfoSessionsAsync()).ToString(CultureInfo.InvariantCulture), await tab.TextAsync("[data-metric=sessions]"));
        // The key moved from the address bar to the tab's storage.
        Assert.Equal(host.ApiKey, (await tab.EvaluateAsync("sessionStorage.getItem('tether.apiKey')")).GetString());
        Assert.DoesNotContain("key=", (await tab.EvaluateAsync("location.href")).GetString(), StringComparison.Ordinal);

        await tab.EvaluateAsync("document.getElementById('client-search').value = 'device-2'; document.getElementById('client-search-go').click()");
        await tab.WaitUntilAsync("document.getElementById('client-disconnect')", "the client's details and disconnect button");
        Assert.Contains("device-2", await tab.TextAsync("#client-details"), StringComparison.Ordinal);
        await tab.EvaluateAsync("document.getElementById('client-disconnect').click()");

        await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 2, "the server down to 2 connections");
        await tab.WaitForTextAsync("[data-metric=connections]", "2");
        Assert.Equal(2, await host.InfoConnectionsAsync());
        Assert.False(host.Server.Connections.TryGetByClientId("device-2", out _));
        await tab.WaitUntilAsync("document.getElementById('client-disconnect').dataset.done === 'true'", "the button to say the client was disconnected");

        await SaveScreenshotAsync(tab, "dashboard.png");
    }

    [ChromiumFact]
    public async Task Without_a_key_the_page_asks_for_one_and_uses_it_once_given()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.ConnectClientAsync("device-1");
        await using var chromium = await Chromium.StartAsync();
        var tab = await chromium.OpenTabAsync();

        await tab.NavigateAsync(new Uri(host.BaseAddress, "/"));
        await tab.WaitUntilAsync("document.getElementById('key-form').classList.contains('shown')", "the key form");
        Assert.Equal("–", await tab.TextAsync("[data-metric=connections]"));

        await tab.EvaluateAsync("document.getElementById('key-input').value = 'wrong'; document.querySelector('#key-form button').click()");
        await tab.WaitUntilAsync("document.getElementById('key-message').textContent.includes('refused')", "the refusal of a wrong key");

        await tab.EvaluateAsync($"document.getElementById('key-input').value = {System.Text.Json.JsonSerializer.Serialize(host.ApiKey)}; document.querySelector('#key-form button').click()");
        await tab.WaitForTextAsync("[data-metric=connections]", "1");
    }

    // Kept as a test artifact: bin/.../TestResults/NAME, its path printed in the test output.
    private async Task SaveScreenshotAsync(BrowserTab tab, string name)
    {
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", name);
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await File.WriteAllBytesAsync(screenshot, await tab.ScreenshotPngAsync());
        output.WriteLine("dashboard screenshot: " + screenshot);
        Assert.True(new FileInfo(screenshot).Length > 1_000);
    }
}
