using System.Globalization;
using System.Text.Json;
using Tether.Admin.Tests.Browser;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>The dashboard in a real headless Chromium, driven over the DevTools protocol.</summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task The_page_shows_the_live_count_and_its_disconnect_button_kicks_the_client()
    {
        await using var host = await DashboardHost.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await host.ConnectClientAsync("device-" + i);
        }

        await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 3, "3 connections on the server");
        await using var chromium = await Chromium.StartAsync();
        var tab = await chromium.OpenTabAsync();

        await tab.NavigateAsync(new Uri(host.BaseAddress, "/?key=" + DashboardHost.ApiKey));
        await tab.WaitForTextAsync("[data-metric=connections]", "3");
        Assert.Equal(3, await host.InfoConnectionsAsync());
        Assert.Equal("3", await tab.TextAsync("[data-metric=connections]"));
        // The key moved from the address bar to the tab's storage.
        Assert.Equal(DashboardHost.ApiKey, (await tab.EvaluateAsync("sessionStorage.getItem('tether.apiKey')")).GetString());
        Assert.DoesNotContain("key=", (await tab.EvaluateAsync("location.href")).GetString(), StringComparison.Ordinal);

        await tab.EvaluateAsync("document.getElementById('client-search').value = 'device-2'; document.getElementById('client-search-go').click()");
        await tab.WaitUntilAsync("document.getElementById('client-disconnect')", "the client's details and disconnect button");
        Assert.Contains("device-2", await tab.TextAsync("#client-details"), StringComparison.Ordinal);
        await tab.EvaluateAsync("document.getElementById('client-disconnect').click()");

        await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 2, "the server down to 2 connections");
        await tab.WaitForTextAsync("[data-metric=connections]", "2");
        Assert.Equal(2, await host.InfoConnectionsAsync());
        Assert.False(host.Server.Connections.TryGetByClientId("device-2", out _));

        await SaveScreenshotAsync(tab, "dashboard.png");
    }

    [ChromiumFact]
    public async Task On_the_admin_listener_the_page_shows_the_count_of_api_info()
    {
        await using var host = await AdminHost.StartAsync();
        var clients = Enumerable.Range(1, 3).Select(i => DashboardHost.NewClient(host.TetherEndPoint, "device-" + i)).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.ConnectAsync();
            }

            await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 3, "3 connections on the server");
            await using var chromium = await Chromium.StartAsync();
            var tab = await chromium.OpenTabAsync();

            await tab.NavigateAsync(new Uri(host.Admin.BaseAddress!, "/?key=" + Uri.EscapeDataString(host.Admin.ApiKey!)));
            await tab.WaitForTextAsync("[data-metric=connections]", "3");

            using var info = JsonDocument.Parse(await host.Http.GetStringAsync("api/info"));
            Assert.Equal(3, info.RootElement.GetProperty("counts").GetProperty("connections").GetInt32());
            Assert.Equal(
                info.RootElement.GetProperty("counts").GetProperty("sessions").GetInt32().ToString(CultureInfo.InvariantCulture),
                await tab.TextAsync("[data-metric=sessions]"));
            await SaveScreenshotAsync(tab, "dashboard-admin.png");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
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

        await tab.EvaluateAsync($"document.getElementById('key-input').value = '{DashboardHost.ApiKey}'; document.querySelector('#key-form button').click()");
        await tab.WaitForTextAsync("[data-metric=connections]", "1");
    }

    // Kept as a test artifact: bin/.../TestResults/NAME.
    private async Task SaveScreenshotAsync(BrowserTab tab, string name)
    {
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", name);
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await File.WriteAllBytesAsync(screenshot, await tab.ScreenshotPngAsync());
        output.WriteLine("dashboard screenshot: " + screenshot);
        Assert.True(new FileInfo(screenshot).Length > 1_000);
    }
}
