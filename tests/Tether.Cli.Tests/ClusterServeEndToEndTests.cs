using System.Text.Json;
using Tether.Cli.Tests.Soak;
using Tether.TestSupport;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>
/// <c>tether serve --redis</c> and <c>tether soak --cluster</c> as real processes with a real Redis: what works without
/// the cluster's routing and sessions (those are in <see cref="ClusterEndToEndTests"/>).
/// </summary>
public sealed class ClusterServeEndToEndTests
{
    [RedisFact]
    public async Task A_node_with_a_live_redis_serves_echo_and_names_its_node_and_redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var port = await nodes.StartAsync(redis.Configuration, "n1", extra: ["--json-log"]);

        var node = nodes.Processes[0];
        Assert.Contains(node.StderrLines, line => line.EndsWith($", cluster node n1 on Redis {redis.Configuration} (Ctrl-C to stop)", StringComparison.Ordinal));
        var log = Parse(await node.WaitForStdoutAsync(line => line.Contains("Tether.Cli.Serve", StringComparison.Ordinal)));
        Assert.Equal("n1", log.GetProperty("State").GetProperty("NodeName").GetString());
        Assert.Equal(redis.Configuration, log.GetProperty("State").GetProperty("Redis").GetString());
        await AssertEchoesAsync(port);

        node.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync());
    }

    [RedisFact]
    public async Task A_node_starts_while_redis_is_down_serves_sessionless_echo_and_refuses_sessions_with_a_retry_after()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.StopAsync();
        await using var nodes = new ClusterNodes();

        var port = await nodes.StartAsync(redis.Configuration, "n1");

        // Without a session nothing needs Redis.
        await AssertEchoesAsync(port, "--no-session");

        // A session that cannot be stored is never handed out: SERVER_BUSY, and the client tries again later.
        await using (var withSession = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json"))
        {
            var retry = await withSession.WaitForStdoutAsync(line => Event(line) == "reconnecting");
            Assert.Contains("SERVER_BUSY", retry, StringComparison.Ordinal);
        }

        nodes.Processes[0].Signal(CliProcess.SigTerm);
        Assert.Equal(0, await nodes.Processes[0].WaitForExitAsync());
    }

    [Fact]
    public async Task A_server_told_to_stop_on_stdin_end_stops_gracefully_when_its_parent_closes_the_pipe()
    {
        // What a soak's node does when the soak dies without killing it.
        var portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", portFile, "--stop-on-stdin-end", "--drain", "0");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));

        server.Stdin.Close();

        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Equal("tether: stopped", server.StderrLines[^1]);
        Assert.False(File.Exists(portFile));
    }

    private static async Task AssertEchoesAsync(int port, params string[] extra)
    {
        await using var client = CliProcess.Start(["connect", $"127.0.0.1:{port}", "--json", .. extra]);
        await client.WaitForStdoutAsync(line => Event(line) == "connected");
        await client.Stdin.WriteLineAsync("through a cluster node");
        var message = Parse(await client.WaitForStdoutAsync(line => Event(line) == "message"));
        Assert.Equal("through a cluster node", message.GetProperty("data").GetString());
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
    }
}

/// <summary>A cluster soak as the real command: its node processes, their kills, and the clean-up on SIGTERM.</summary>
[Collection(nameof(SoakCollection))]
public sealed class ClusterSoakProcessTests
{
    [RedisFact]
    public async Task Sigterm_ends_a_cluster_soak_with_its_summary_and_leaves_no_node_running()
    {
        await using var redis = await RedisServer.StartAsync();
        var nodeArgument = $"serve --redis {redis.Configuration} ";
        await using var soak = CliProcess.Start(
            "soak", "--cluster", "2", "--redis", redis.Configuration, "--kill-node-every", "1s", "--clients", "3", "--duration", "5m", "--json");
        await soak.WaitForStderrAsync(line => line.StartsWith("tether: soak: 3 clients for 5m against a cluster of 2 nodes (127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal(2, ClusterNodes.ProcessesWith(nodeArgument).Count);
        var killed = await soak.WaitForStderrAsync(line => line.StartsWith("tether: soak: killed node soak-", StringComparison.Ordinal));
        // e.g. "killed node soak-2 (127.0.0.1:41719) with SIGKILL; restarting it": back on the same port.
        var node = killed.Split(' ')[4];
        var endPoint = killed.Split(' ')[5].Trim('(', ')');
        await soak.WaitForStderrAsync(line => line == $"tether: soak: node {node} is back on {endPoint}");

        soak.Signal(CliProcess.SigTerm);

        // 0 once sessions resume across nodes; 2 on a branch without that (see ClusterEndToEndTests).
        Assert.Contains(await soak.WaitForExitAsync(), new[] { ExitCodes.Success, ExitCodes.Failure });
        using var summary = JsonDocument.Parse(soak.StdoutLines[^1]);
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("nodes").GetInt32());
        Assert.True(root.GetProperty("nodeKills").GetInt64() >= 1, soak.Describe());
        Assert.True(root.GetProperty("up").GetProperty("delivered").GetInt64() > 0, soak.Describe());
        Assert.Equal("cluster", root.GetProperty("mode").GetString());
        Assert.Empty(ClusterNodes.ProcessesWith(nodeArgument));
    }

    [RedisFact]
    public async Task The_nodes_of_a_cluster_soak_killed_with_sigkill_stop_by_themselves()
    {
        await using var redis = await RedisServer.StartAsync();
        var nodeArgument = $"serve --redis {redis.Configuration} ";
        await using var soak = CliProcess.Start("soak", "--cluster", "2", "--redis", redis.Configuration, "--clients", "2", "--duration", "5m");
        await soak.WaitForStderrAsync(line => line.StartsWith("tether: soak: 2 clients for 5m against a cluster of 2 nodes", StringComparison.Ordinal));
        Assert.Equal(2, ClusterNodes.ProcessesWith(nodeArgument).Count);

        soak.Signal(9);

        // No finally block runs in a process killed so: the nodes see their stdin end and stop.
        await Eventually.WaitUntilAsync(() => ClusterNodes.ProcessesWith(nodeArgument).Count == 0, "the nodes to stop");
    }
}
