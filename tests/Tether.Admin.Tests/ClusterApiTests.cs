using Tether.Cluster;
using Tether.TestSupport;

namespace Tether.Admin.Tests;

/// <summary>Two nodes on a real redis-server: node B's admin API answers for a client connected to node A.</summary>
public sealed class ClusterApiTests
{
    [RedisFact]
    public async Task Node_B_answers_for_and_disconnects_a_client_on_node_A()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var nodeA = await AdminHost.StartAsync(server: o => o.ScaleOut = Cluster(redis, "node-a"));
        await using var nodeB = await AdminHost.StartAsync(server: o => o.ScaleOut = Cluster(redis, "node-b"));
        await using var client = await TestClient.ConnectAsync(nodeA.TetherEndPoint, "far-1", reconnect: false);
        await Eventually.WaitUntilAsync(() => nodeB.Server.LocateClientAsync("far-1").Result is not null, "node B sees far-1 in the directory");

        var (status, details) = await nodeB.Http.GetJsonAsync("/api/clients/far-1");
        Assert.Equal(200, status);
        Assert.Equal("node-a", details.Text("node"));
        Assert.True(details.GetProperty("connected").GetBoolean());
        Assert.StartsWith("127.0.0.1:", details.Text("remoteAddress"), StringComparison.Ordinal);
        Assert.Equal("attached", details.Text("sessionState"));

        var (_, page) = await nodeB.Http.GetJsonAsync("/api/clients");
        Assert.Contains("far-1", page.GetProperty("clients").EnumerateArray().Select(c => c.GetString()));

        var (pushed, push) = await nodeB.Http.PostAsync("/api/clients/far-1/messages", """{"data":"across","waitForAck":true}""");
        Assert.Equal(200, pushed);
        Assert.True(push.GetProperty("acknowledged").GetBoolean());
        Assert.Equal("across", await client.ReceiveAsync());

        var (_, info) = await nodeB.Http.GetJsonAsync("/api/info");
        Assert.True(info.GetProperty("scaleOut").GetBoolean());
        Assert.Equal(2, info.GetProperty("nodes").GetArrayLength());

        Assert.True(nodeA.Server.Connections.TryGetByClientId("far-1", out var connection));
        var (kicked, _) = await nodeB.Http.SendAsync(HttpMethod.Delete, "/api/clients/far-1?code=4003&reason=moved");
        Assert.Equal(200, kicked);
        await Eventually.WaitUntilAsync(() => connection.State != Server.ConnectionState.Open, "the connection on node A closed");
        Assert.Equal((Protocol.CloseCode)4003, connection.DisconnectInfo!.Code);
    }

    private static ScaleOutOptions Cluster(RedisServer redis, string name) =>
        new() { Redis = redis.Configuration, NodeName = name, OperationTimeout = TimeSpan.FromSeconds(2) };
}
