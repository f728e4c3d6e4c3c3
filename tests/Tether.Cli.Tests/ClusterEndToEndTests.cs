using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Tether.Cli.Commands;
using Tether.Cli.Tests.Soak;
using Tether.Cluster;
using Tether.Server;
using Tether.TestSupport;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>
/// Clusters of <c>tether serve --redis</c> processes end to end: a broadcast reaches every node, a client whose node is
/// killed resumes its session on another with nothing lost, a cluster soak with node kills is clean, and a Redis
/// outage drops no client. These need the library's cross-node routing and its sessions in Redis (issue 17).
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class ClusterEndToEndTests
{
    private const int SigKill = 9;

    [RedisFact]
    public async Task A_broadcast_from_a_client_of_one_node_reaches_the_clients_of_all_three()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var ports = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            ports.Add(await nodes.StartAsync(redis.Configuration, $"n{i}", extra: ["--app", "broadcast"]));
        }

        var clients = new List<CliProcess>();
        try
        {
            foreach (var port in ports)
            {
                var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json");
                clients.Add(client);
                await client.WaitForStdoutAsync(line => Event(line) == "connected");
            }

            await clients[0].Stdin.WriteLineAsync("hello, cluster");

            foreach (var client in clients)
            {
                var message = Parse(await client.WaitForStdoutAsync(line => Event(line) == "message"));
                Assert.Equal("hello, cluster", message.GetProperty("data").GetString());
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [RedisFact]
    public async Task A_client_whose_node_is_killed_resumes_on_another_and_receives_every_number_once_in_order()
    {
        const int Count = 300;
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var ports = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            ports.Add(await nodes.StartAsync(redis.Configuration, $"n{i}"));
        }

        // The pushing node: in the test, joined to the same cluster; no client connects to it.
        await using var pusher = await StartPusherAsync(redis.Configuration);
        var clientId = $"stream-{Guid.NewGuid():N}";
        await using var client = CliProcess.Start(
            ["connect", .. ports.Select(p => $"127.0.0.1:{p}"), "--client-id", clientId, "--json", "--backoff-max", "200ms"]);
        var connected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected"));
        // Failover: the first endpoint first.
        Assert.Equal($"127.0.0.1:{ports[0]}", connected.GetProperty("endpoint").GetString());

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var n = 1; n <= Count; n++)
        {
            if (n == Count / 3)
            {
                nodes.Processes[0].Signal(SigKill);
            }

            var payload = Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture));
            // Not accepted (e.g. while its session moves between nodes): the same number again, so the order holds.
            while (!await pusher.SendToClientAsync(clientId, payload))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the pushing node could not get #{n} to {clientId} on another node within 30 s");
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }

        await client.WaitForStdoutAsync(line => Event(line) == "message" && Parse(line).GetProperty("data").GetString() == Count.ToString(CultureInfo.InvariantCulture));
        Assert.Contains(client.StdoutLines, line => Event(line) == "resumed");
        Assert.DoesNotContain(client.StdoutLines, line => Event(line) == "session-lost");
        var received = client.StdoutLines.Where(line => Event(line) == "message")
            .Select(line => int.Parse(Parse(line).GetProperty("data").GetString()!, CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(Enumerable.Range(1, Count), received);
    }

    [RedisFact]
    public async Task A_client_whose_node_is_killed_while_another_node_broadcasts_a_numbered_stream_resumes_with_every_number_once_in_order()
    {
        const int Count = 200;
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = new ClusterNodes();
        var ports = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            ports.Add(await nodes.StartAsync(redis.Configuration, $"n{i}", extra: ["--app", "broadcast"]));
        }

        await using var receiver = CliProcess.Start(
            ["connect", .. ports.Select(p => $"127.0.0.1:{p}"), "--json", "--backoff-max", "200ms"]);
        var connected = Parse(await receiver.WaitForStdoutAsync(line => Event(line) == "connected"));
        Assert.Equal($"127.0.0.1:{ports[0]}", connected.GetProperty("endpoint").GetString());
        await using var sender = CliProcess.Start("connect", $"127.0.0.1:{ports[1]}", "--json");
        await sender.WaitForStdoutAsync(line => Event(line) == "connected");

        // The stream goes through the second node's broadcast; the first node dies a third of the way in.
        for (var n = 1; n <= Count; n++)
        {
            if (n == Count / 3)
            {
                nodes.Processes[0].Signal(SigKill);
            }

            await sender.Stdin.WriteLineAsync(n.ToString(CultureInfo.InvariantCulture));
            await Task.Delay(TimeSpan.FromMilliseconds(5));
        }

        await receiver.WaitForStdoutAsync(line => Event(line) == "message" && Parse(line).GetProperty("data").GetString() == Count.ToString(CultureInfo.InvariantCulture));
        Assert.Contains(receiver.StdoutLines, line => Event(line) == "resumed");
        Assert.DoesNotContain(receiver.StdoutLines, line => Event(line) == "session-lost");
        var received = receiver.StdoutLines.Where(line => Event(line) == "message")
            .Select(line => int.Parse(Parse(line).GetProperty("data").GetString()!, CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(Enumerable.Range(1, Count), received);
    }

    [RedisFact]
    public async Task A_cluster_soak_with_a_node_killed_every_seven_seconds_loses_duplicates_reorders_and_resets_nothing()
    {
        await using var redis = await RedisServer.StartAsync();
        var parse = CliApp.CreateRootCommand().Parse(
            ["soak", "--cluster", "3", "--redis", redis.Configuration, "--clients", "10", "--duration", "20s", "--kill-node-every", "7s", "--json"]);
        var options = Assert.IsType<SoakCommand>(parse.CommandResult.Command).BuildOptions(parse);
        using var output = new StringWriter();
        using var errors = new StringWriter();

        var exitCode = await SoakCommand.RunAsync(options, output, TextWriter.Synchronized(errors), TimeProvider.System, CancellationToken.None, CancellationToken.None);

        var describe = $"exit code {exitCode}\nstdout:\n{output}\nstderr:\n{errors}";
        using var summary = JsonDocument.Parse(output.ToString().Trim().Split('\n')[^1]);
        var root = summary.RootElement;
        Assert.True(root.GetProperty("nodeKills").GetInt64() >= 2, describe);
        foreach (var direction in new[] { "up", "down" })
        {
            var counts = root.GetProperty(direction);
            Assert.True(counts.GetProperty("sent").GetInt64() > 1_000, describe);
            Assert.Equal(0, counts.GetProperty("lost").GetInt64());
            Assert.Equal(0, counts.GetProperty("duplicated").GetInt64());
            Assert.Equal(0, counts.GetProperty("reordered").GetInt64());
        }

        Assert.True(root.GetProperty("sessionResets").GetInt64() == 0, describe);
        Assert.True(root.GetProperty("settled").GetBoolean(), describe);
        Assert.True(exitCode == ExitCodes.Success, describe);
        Assert.Empty(ClusterNodes.ProcessesWith($"serve --redis {redis.Configuration} "));
    }

    [RedisFact]
    public async Task Redis_stopped_for_five_seconds_drops_no_client_of_a_node()
    {
        // A Redis that comes back with its data (append-only file), as a production one does after a crash.
        await using var redis = await RedisServer.StartAsync(persistent: true);
        await using var nodes = new ClusterNodes();
        var port = await nodes.StartAsync(redis.Configuration, "n1");
        var clients = new List<CliProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--client-id", $"outage-{i}", "--json");
                clients.Add(client);
                await client.WaitForStdoutAsync(line => Event(line) == "connected");
            }

            await redis.StopAsync();
            // The outage itself: nothing to wait for but time (heartbeats keep going meanwhile).
            await Task.Delay(TimeSpan.FromSeconds(5));
            await redis.StartAgainAsync();

            // The echo is a reliable send: refused at once until the node's Redis connection is back, then it works.
            // Every client stays connected throughout.
            foreach (var client in clients)
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (!client.StdoutLines.Any(line => Event(line) == "message"))
                {
                    Assert.True(DateTime.UtcNow < deadline, "no echo within 30 s of Redis's return");
                    await client.Stdin.WriteLineAsync("still here");
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                }

                var echo = Parse(client.StdoutLines.First(line => Event(line) == "message"));
                Assert.Equal("still here", echo.GetProperty("data").GetString());
                Assert.DoesNotContain(client.StdoutLines, line => Event(line) is "disconnected" or "session-lost");
                Assert.Single(client.StdoutLines, line => Event(line) == "connected");
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<TetherServer> StartPusherAsync(string redis)
    {
        var options = new TetherServerOptions
        {
            // Patient with a busy machine's Redis: a timed-out push may or may not have got through, so the test cannot retry it.
            ScaleOut = new ScaleOutOptions { Redis = redis, NodeName = "pusher", OperationTimeout = TimeSpan.FromSeconds(1) },
        };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new TetherServer(options, new Quiet());
        await server.StartAsync();
        return server;
    }

    private sealed class Quiet : TetherServerHandler;
}
