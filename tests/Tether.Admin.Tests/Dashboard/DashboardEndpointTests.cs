using System.Net;
using System.Text.Json;
using Tether.TestSupport;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>The dashboard's page and data endpoint over HTTP, with a real server (no browser needed).</summary>
public sealed class DashboardEndpointTests
{
    [Fact]
    public async Task The_page_is_served_without_the_key_self_contained_with_the_metric_hooks()
    {
        await using var host = await DashboardHost.StartAsync();
        using var anonymous = host.AnonymousClient();

        using var response = await anonymous.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-metric=\"connections\"", html, StringComparison.Ordinal);
        Assert.Contains("data-metric=\"sessions\"", html, StringComparison.Ordinal);
        // Offline: nothing loaded from elsewhere, and the policy would block it anyway.
        Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_data_needs_the_key()
    {
        await using var host = await DashboardHost.StartAsync();
        using var anonymous = host.AnonymousClient();

        using var response = await anonymous.GetAsync("/api/dashboard");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_data_reports_the_counts_and_the_samples_after_a_sequence_number()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.ConnectClientAsync("device-1");
        await host.ConnectClientAsync("device-2");
        await Eventually.WaitUntilAsync(() => host.Server.Connections.Count == 2, "2 connections");

        JsonElement data = default;
        await WaitForDataAsync(host, d => LastSample(d) is { } s && s.GetProperty("connections").GetInt32() == 2, d => data = d);

        Assert.Equal(2, data.GetProperty("connections").GetInt32());
        var sessions = data.GetProperty("sessions");
        Assert.Equal(2, sessions.GetProperty("total").GetInt32());
        Assert.Equal(2, sessions.GetProperty("attached").GetInt32());
        Assert.Equal(0, sessions.GetProperty("detached").GetInt32());
        Assert.False(data.GetProperty("scanTruncated").GetBoolean());
        Assert.Equal(10, data.GetProperty("rttBoundsMs").GetArrayLength());
        var last = LastSample(data)!.Value;
        Assert.Equal(11, last.GetProperty("rtt").GetArrayLength());

        var lastSeq = last.GetProperty("seq").GetInt64();
        using var later = JsonDocument.Parse(await host.Http.GetStringAsync($"api/dashboard?after={lastSeq}"));
        Assert.All(later.RootElement.GetProperty("samples").EnumerateArray(), s => Assert.True(s.GetProperty("seq").GetInt64() > lastSeq));
    }

    private static JsonElement? LastSample(JsonElement data) =>
        data.GetProperty("samples").EnumerateArray().Select(s => (JsonElement?)s).LastOrDefault();

    private static async Task WaitForDataAsync(DashboardHost host, Func<JsonElement, bool> condition, Action<JsonElement> take)
    {
        var deadline = DateTime.UtcNow + Eventually.DefaultBound;
        while (true)
        {
            using var document = JsonDocument.Parse(await host.Http.GetStringAsync("api/dashboard"));
            if (condition(document.RootElement))
            {
                take(document.RootElement.Clone());
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the dashboard data did not show the expected counts: " + document.RootElement);
            }

            await Task.Delay(100);
        }
    }
}
