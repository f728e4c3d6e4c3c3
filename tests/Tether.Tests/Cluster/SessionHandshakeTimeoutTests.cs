using Tether.Client;
using Tether.Cluster;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Cluster;

/// <summary>
/// A session handshake waits for Redis up to <see cref="ScaleOutOptions.HandshakeTimeout"/>, not the shorter operation
/// timeout: a slow Redis delays the WELCOME rather than refusing the session; a disconnected one refuses it at once.
/// </summary>
public sealed class SessionHandshakeTimeoutTests
{
    [RedisFact]
    public async Task A_new_session_waits_for_a_slow_redis_beyond_the_operation_timeout()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = await ServerFixture.StartAsync(o => o.ScaleOut = new ScaleOutOptions
        {
            Redis = redis.Configuration,
            NodeName = "slow",
            OperationTimeout = TimeSpan.FromMilliseconds(50),
            HandshakeTimeout = TimeSpan.FromSeconds(20),
        });
        using var metrics = new MetricRecorder(node.Server.Metrics.Meter, "operation");
        var options = ClientFactory.Options(node.EndPoint);
        options.ClientId = "patient";
        await using var client = new TetherClient(options);

        // Redis answers nobody for a while: the create script waits far longer than the operation timeout.
        Assert.Equal("+OK", await redis.CommandAsync("CLIENT PAUSE 1500 ALL"));
        await client.ConnectAsync();

        Assert.NotNull(client.SessionId);
        Assert.Equal(0, metrics.Sum("tether.cluster.sessions.refused"));
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.created"));
    }

    [RedisFact]
    public async Task A_new_session_is_refused_at_once_while_redis_is_disconnected_however_long_the_handshake_timeout()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = await ServerFixture.StartAsync(o => o.ScaleOut = new ScaleOutOptions
        {
            Redis = redis.Configuration,
            NodeName = "down",
            HandshakeTimeout = TimeSpan.FromSeconds(30),
        });
        using var metrics = new MetricRecorder(node.Server.Metrics.Meter, "operation");
        await redis.StopAsync();
        await Eventually.WaitUntilAsync(() => !node.Server.Cluster!.Redis.IsConnected);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var peer = await RawPeer.ConnectAsync(node.EndPoint);
        await peer.SendAsync(w => new HelloFrame { RequestSession = true, ClientId = "refused" }.Write(w));
        var close = await peer.ReadUntilCloseAsync();

        Assert.Equal(CloseCode.ServerBusy, close?.Code);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"refused after {started.Elapsed}, not at once");
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.refused"));
    }

    [Fact]
    public void The_handshake_timeout_is_checked()
    {
        Assert.Contains("handshake", Assert.Throws<ArgumentException>(() => new ScaleOutOptions { Redis = "x", HandshakeTimeout = TimeSpan.Zero }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("handshake", Assert.Throws<ArgumentException>(() => new ScaleOutOptions { Redis = "x", HandshakeTimeout = TimeSpan.FromMinutes(1) }.Validate()).Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(2), new ScaleOutOptions().HandshakeTimeout);
    }
}
