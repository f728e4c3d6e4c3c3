using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>
/// <c>tether serve --admin</c> as a real process, used the way a back end in another language uses it: HTTP with an API
/// key, while <c>tether connect --json</c> clients are connected.
/// </summary>
public sealed class ServiceEndToEndTests
{
    [Fact]
    public async Task A_back_end_pushes_to_a_client_a_group_and_everyone_sees_and_kicks_a_client_and_scrapes_metrics()
    {
        await using var service = await AdminService.StartAsync("--drain", "0");
        await using var a = await ConnectAsync(service.Port, "device-a");
        await using var b = await ConnectAsync(service.Port, "device-b");
        await using var c = await ConnectAsync(service.Port, "device-c");
        using var http = service.Http();

        var pushed = await http.PostAsJsonAsync("/api/clients/device-a/messages", new { data = "to a" });
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        await AssertReceivesAsync(a, "to a");

        Assert.True((await http.PutAsync("/api/clients/device-b/groups/kitchen", null)).IsSuccessStatusCode);
        Assert.True((await http.PostAsJsonAsync("/api/groups/kitchen/messages", new { data = "to the kitchen" })).IsSuccessStatusCode);
        await AssertReceivesAsync(b, "to the kitchen");

        Assert.True((await http.PostAsJsonAsync("/api/broadcast", new { base64 = Convert.ToBase64String("to all"u8.ToArray()) })).IsSuccessStatusCode);
        await AssertReceivesAsync(a, "to all");
        await AssertReceivesAsync(b, "to all");
        await AssertReceivesAsync(c, "to all");
        Assert.DoesNotContain(a.StdoutLines.Concat(c.StdoutLines), line => line.Contains("to the kitchen", StringComparison.Ordinal));

        var details = await http.GetFromJsonAsync<JsonElement>("/api/clients/device-a");
        Assert.Contains("device-a", details.GetRawText(), StringComparison.Ordinal);

        var info = await http.GetFromJsonAsync<JsonElement>("/api/info");
        Assert.Contains("3", info.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(3, await ScrapeConnectionsAsync(http));

        Assert.True((await http.DeleteAsync("/api/clients/device-a?code=1000&reason=bye")).IsSuccessStatusCode);
        await a.WaitForStdoutAsync(line => Event(line) is "disconnected" or "closed");
        await Eventually(async () => await ScrapeConnectionsAsync(http) == 2);

        using var anonymous = new HttpClient { BaseAddress = http.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/info")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/broadcast", new { data = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Readiness_turns_false_on_sigterm_before_the_first_goaway_leaves()
    {
        await using var service = await AdminService.StartAsync("--drain", "5s", "--lame-duck", "2s");
        await using var client = await ConnectAsync(service.Port, "device-a");
        using var http = service.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);

        service.Process.Signal(CliProcess.SigTerm);
        await Eventually(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);

        // Not ready, and the client has not been told to go yet: it hears GOAWAY after the lame-duck delay.
        Assert.DoesNotContain(client.StdoutLines, line => Event(line) == "disconnected");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var gone = Parse(await client.WaitForStdoutAsync(line => Event(line) == "disconnected"));
        Assert.Equal("going-away", gone.GetProperty("reason").GetString());
        Assert.Equal(0, await service.Process.WaitForExitAsync());
    }

    [Fact]
    public async Task Upstream_gets_every_client_message_in_order_also_after_the_endpoint_was_down_for_ten_seconds()
    {
        await using var endpoint = await UpstreamEndpoint.StartAsync();
        await using var service = await AdminService.StartAsync("--drain", "0", "--upstream-url", endpoint.Url);
        await using var client = await ConnectAsync(service.Port, "sensor-1");

        for (var i = 1; i <= 20; i++)
        {
            await client.Stdin.WriteLineAsync(i.ToString(CultureInfo.InvariantCulture));
        }

        await client.Stdin.FlushAsync();
        await Eventually(() => Task.FromResult(endpoint.Messages("sensor-1").Count == 20));

        endpoint.Down = true;
        for (var i = 21; i <= 40; i++)
        {
            await client.Stdin.WriteLineAsync(i.ToString(CultureInfo.InvariantCulture));
        }

        await client.Stdin.FlushAsync();
        await Eventually(() => Task.FromResult(endpoint.Refused > 0));
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.Equal(20, endpoint.Messages("sensor-1").Count);
        endpoint.Down = false;

        await Eventually(() => Task.FromResult(endpoint.Messages("sensor-1").Count >= 40));
        var received = endpoint.Messages("sensor-1");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => i.ToString(CultureInfo.InvariantCulture)), received);
        Assert.Contains(endpoint.Events, e => e.Type == "connect" && e.ClientId == "sensor-1");

        // An event is delivered again only when a delivery of its batch failed: every accepted batch is new.
        Assert.Equal(endpoint.AcceptedBatchIds.Count, endpoint.AcceptedBatchIds.Distinct().Count());
    }

    private static async Task<CliProcess> ConnectAsync(int port, string clientId)
    {
        var client = CliProcess.Start("connect", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--client-id", clientId, "--json");
        await client.WaitForStdoutAsync(line => Event(line) == "connected");
        return client;
    }

    private static async Task AssertReceivesAsync(CliProcess client, string text)
    {
        var line = await client.WaitForStdoutAsync(line => Event(line) == "message" && Parse(line).GetProperty("data").GetString() == text);
        Assert.NotNull(line);
    }

    /// <summary>Parses /metrics as Prometheus text and returns the open-connections gauge.</summary>
    internal static async Task<long> ScrapeConnectionsAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        long total = 0;
        var found = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // name{labels} value [timestamp]
            var nameEnd = line.IndexOfAny(['{', ' ']);
            Assert.True(nameEnd > 0, $"not a Prometheus sample line: {line}");
            var name = line[..nameEnd];
            var rest = line[nameEnd..];
            if (rest.StartsWith('{'))
            {
                var close = LabelsEnd(rest);
                Assert.True(close > 0, $"unterminated labels: {line}");
                rest = rest[(close + 1)..];
            }

            var value = rest.Trim().Split(' ')[0];
            Assert.True(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || value is "+Inf" or "-Inf" or "NaN", $"bad value: {line}");
            if (name == "tether_connections_active")
            {
                total += (long)number;
                found = true;
            }
        }

        Assert.True(found, "no tether_connections_active in /metrics");
        return total;
    }

    /// <summary>The index of the <c>}</c> that closes a label set, skipping quoted values (which may hold braces).</summary>
    private static int LabelsEnd(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '}' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + CliProcess.Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not become true in time");
            await Task.Delay(50);
        }
    }
}
