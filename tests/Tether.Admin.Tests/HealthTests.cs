using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Tether.TestSupport;

namespace Tether.Admin.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task A_running_server_is_live_and_ready_and_says_why()
    {
        await using var host = await MetricsAndHealthHost.StartAsync();

        var (liveStatus, live) = await ProbeAsync(host, "/health/live");
        var (readyStatus, ready) = await ProbeAsync(host, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal("live", live.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(Check(ready, "drain").GetProperty("ok").GetBoolean());
        Assert.DoesNotContain(ready.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "scale-out");
    }

    [Fact]
    public async Task Ready_turns_503_when_a_stop_begins_before_the_first_goaway_and_live_stays_200()
    {
        var time = new FakeTimeProvider();
        await using var host = await MetricsAndHealthHost.StartAsync(o => o.LameDuckDelay = TimeSpan.FromSeconds(10), time: time);
        var client = await host.ConnectAsync("a");
        var goAway = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, change) =>
        {
            if (change.Disconnect is { } info)
            {
                goAway.TrySetResult(info);
            }
        };

        var stop = host.Server.StopAsync();
        var (readyStatus, ready) = await ProbeAsync(host, "/health/ready");
        var (liveStatus, _) = await ProbeAsync(host, "/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Equal("not ready", ready.GetProperty("status").GetString());
        Assert.Contains("draining", Check(ready, "drain").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.False(goAway.Task.IsCompleted, "no GOAWAY leaves before the lame-duck delay is over");
        Assert.Single(host.Server.Connections);

        time.Advance(TimeSpan.FromSeconds(10));
        var info = await goAway.Task.WaitAsync(Eventually.DefaultBound);
        Assert.Equal(DisconnectReason.GoingAway, info.Reason);
        await stop.WaitAsync(Eventually.DefaultBound);
        var (stoppedLive, live) = await ProbeAsync(host, "/health/live");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stoppedLive);
        Assert.Equal("the server has stopped", Check(live, "server").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_server_not_started_is_neither_live_nor_ready()
    {
        await using var host = await MetricsAndHealthHost.StartAsync(startServer: false);

        var (liveStatus, live) = await ProbeAsync(host, "/health/live");
        var (readyStatus, _) = await ProbeAsync(host, "/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, liveStatus);
        Assert.Equal("the server is not started", Check(live, "server").GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
    }

    [Fact]
    public async Task Health_checks_tagged_ready_join_the_readiness_probe()
    {
        await using var host = await MetricsAndHealthHost.StartAsync(services: s => s.AddHealthChecks()
            .AddCheck("upstream", () => HealthCheckResult.Unhealthy("the back end does not answer"), tags: ["ready"])
            .AddCheck("ignored", () => HealthCheckResult.Unhealthy("not a probe's"), tags: ["other"]));

        var (readyStatus, ready) = await ProbeAsync(host, "/health/ready");
        var (liveStatus, live) = await ProbeAsync(host, "/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Equal("the back end does not answer", Check(ready, "upstream").GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.DoesNotContain(live.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "ignored");
    }

    [RedisFact]
    public async Task With_scale_out_ready_turns_503_while_redis_is_down_and_back_once_it_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var host = await MetricsAndHealthHost.StartAsync(o => o.ScaleOut = new Tether.Cluster.ScaleOutOptions { Redis = redis.Configuration, KeyPrefix = "health-" + Guid.NewGuid().ToString("N") });
        var (readyStatus, ready) = await ProbeAsync(host, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("Redis connected", Check(ready, "scale-out").GetProperty("detail").GetString());

        await redis.StopAsync();

        await MetricsAndHealthHost.WaitUntilAsync(async () => (await ProbeAsync(host, "/health/ready")).Status == HttpStatusCode.ServiceUnavailable, "ready to turn 503 after Redis stopped");
        var (_, down) = await ProbeAsync(host, "/health/ready");
        Assert.False(Check(down, "scale-out").GetProperty("ok").GetBoolean());
        var (liveStatus, _) = await ProbeAsync(host, "/health/live");
        Assert.Equal(HttpStatusCode.OK, liveStatus);

        await redis.StartAgainAsync();
        await MetricsAndHealthHost.WaitUntilAsync(async () => (await ProbeAsync(host, "/health/ready")).Status == HttpStatusCode.OK, "ready to turn 200 after Redis returned");
    }

    [Fact]
    public async Task The_probes_answer_json_that_is_not_cached()
    {
        await using var host = await MetricsAndHealthHost.StartAsync();

        using var response = await host.Http.GetAsync("/health/ready");

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ProbeAsync(MetricsAndHealthHost host, string path)
    {
        using var response = await host.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length > 0, $"{path} answered {(int)response.StatusCode} with no body");
        var body = JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body);
    }

    private static JsonElement Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
