using Tether.Cluster;
using Tether.Tests.Support;

namespace Tether.Tests.Cluster;

/// <summary>A node starts with its Redis, and also while its Redis is away (it connects later).</summary>
public sealed class ClusterStartTests
{
    [RedisFact]
    public async Task A_node_connects_to_its_redis_at_start()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await ServerFixture.StartAsync(o => o.ScaleOut = new ScaleOutOptions { Redis = redis.Configuration, NodeName = "a" });

        Assert.True(server.Server.Cluster!.Redis.IsConnected);
        Assert.StartsWith("a:", server.Server.Cluster.Identity.Id, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task A_node_starts_while_its_redis_is_down_and_connects_once_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.StopAsync();
        await using var server = await ServerFixture.StartAsync(o => o.ScaleOut = new ScaleOutOptions { Redis = redis.Configuration });
        // Without a session: a new session needs Redis (it is refused with SERVER_BUSY until Redis is back).
        var options = ClientFactory.Options(server.EndPoint);
        options.Sessions.Enabled = false;
        await using var client = new Tether.Client.TetherClient(options);
        await client.ConnectAsync();

        await redis.StartAgainAsync();

        await Eventually.WaitUntilAsync(() => server.Server.Cluster!.Redis.IsConnected);
        Assert.Equal(Tether.Client.ClientState.Connected, client.State);
    }

    [Fact]
    public void Scale_out_settings_are_checked_with_one_clear_error_each()
    {
        Assert.Contains("Redis", Assert.Throws<ArgumentException>(() => new ScaleOutOptions().Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("prefix", Assert.Throws<ArgumentException>(() => new ScaleOutOptions { Redis = "x", KeyPrefix = "{a}" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new ScaleOutOptions { Redis = "x", NodeTimeToLive = TimeSpan.FromSeconds(5) }.Validate()).Message, StringComparison.Ordinal);
    }
}
