using System.Text;
using System.Text.Json;
using Tether.Heartbeat;
using Xunit.Abstractions;

namespace Tether.Interop.Tests;

/// <summary>
/// The Python client of tests/interop/python (written from docs/protocol.md only, without reading the C# sources)
/// against the real server: proves the specification is enough to interoperate.
/// </summary>
public sealed class PythonClientInteropTests(ITestOutputHelper output)
{
    private static readonly HeartbeatOptions OneSecondHeartbeat = new()
    {
        Interval = TimeSpan.FromSeconds(1),
        Timeout = TimeSpan.FromSeconds(3),
    };

    [PythonFact]
    public async Task Handshake_and_echo_of_three_messages_round_trip()
    {
        await using var server = await EchoServer.StartAsync();
        string[] texts = ["hello", "héllo ✓", "third message"];
        await using var client = PythonClient.Start(server.Port, "--client-id", "py-interop", "--send", texts[0], "--send", texts[1], "--send", texts[2]);

        var exitCode = await client.WaitForExitAsync();
        Log(client);

        Assert.True(exitCode == 0, $"exit code {exitCode}{client.Describe()}");
        var welcome = Assert.Single(client.Events("welcome"));
        Assert.Equal(1, welcome.GetProperty("version").GetInt32());
        Assert.Equal("interop-test", welcome.GetProperty("serverId").GetString());
        Assert.True(ulong.Parse(welcome.GetProperty("connectionId").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        var echoed = client.Events("message").Select(m => m.GetProperty("data").GetString()).ToArray();
        Assert.Equal(texts, echoed);
        Assert.Equal(texts.Select(Encoding.UTF8.GetBytes), server.Handler.Messages.ToArray());
        Assert.Empty(client.Events("error"));

        var ended = await server.Handler.FirstDisconnectAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, ended.Reason);
        Assert.Equal((ushort)1000, (ushort?)ended.Code);
    }

    [PythonFact]
    public async Task Client_answers_pings_and_stays_connected_for_five_seconds()
    {
        await using var server = await EchoServer.StartAsync(OneSecondHeartbeat);
        await using var client = PythonClient.Start(server.Port, "--duration", "5");

        var exitCode = await client.WaitForExitAsync();
        Log(client);

        Assert.True(exitCode == 0, $"exit code {exitCode}{client.Describe()}");
        var welcome = Assert.Single(client.Events("welcome"));
        Assert.Equal(1000, welcome.GetProperty("heartbeatIntervalMs").GetInt32());
        Assert.Equal(3000, welcome.GetProperty("heartbeatTimeoutMs").GetInt32());
        Assert.Empty(client.Events("error"));

        // Both sides ping when idle for 1 s; whichever pings first makes the other's PONG count as traffic, so
        // either direction may carry the exchange. Over 5 s there must be several.
        var pingsAnswered = client.Events("ping").Count(p => p.GetProperty("direction").GetString() == "received" && p.GetProperty("answered").GetBoolean());
        var pongsReceived = client.Events("pong").Count(p => p.GetProperty("rttMs").ValueKind == JsonValueKind.Number);
        output.WriteLine($"server pings answered: {pingsAnswered}, own pings answered by the server: {pongsReceived}");
        Assert.True(pingsAnswered + pongsReceived >= 1, $"no PING/PONG exchange{client.Describe()}");

        var close = Assert.Single(client.Events("close"));
        Assert.Equal("sent", close.GetProperty("direction").GetString());
        Assert.Equal(1000, close.GetProperty("code").GetInt32());

        var ended = await server.Handler.FirstDisconnectAsync();
        Assert.NotEqual(DisconnectReason.HeartbeatTimeout, ended.Reason);
        Assert.Equal(DisconnectReason.ClosedByPeer, ended.Reason);
        Assert.Equal((ushort)1000, (ushort?)ended.Code);
    }

    [PythonFact]
    public async Task Silent_client_is_dropped_with_heartbeat_timeout()
    {
        await using var server = await EchoServer.StartAsync(OneSecondHeartbeat);
        await using var client = PythonClient.Start(server.Port, "--silent");

        var exitCode = await client.WaitForExitAsync();
        Log(client);

        Assert.True(exitCode == 0, $"exit code {exitCode}{client.Describe()}");
        var close = Assert.Single(client.Events("close"));
        Assert.Equal("received", close.GetProperty("direction").GetString());
        Assert.Equal(1006, close.GetProperty("code").GetInt32());
        Assert.Equal("HEARTBEAT_TIMEOUT", close.GetProperty("name").GetString());
        Assert.All(client.Events("ping"), p => Assert.False(p.GetProperty("answered").GetBoolean()));

        var ended = await server.Handler.FirstDisconnectAsync();
        Assert.Equal(DisconnectReason.HeartbeatTimeout, ended.Reason);
    }

    [PythonFact]
    public async Task Unsupported_version_hello_gets_close_1003()
    {
        await using var server = await EchoServer.StartAsync();

        // HELLO, no flags, body 46: magic, minVersion 9, maxVersion 9, heartbeat 0/0, maxFrameSize 1 MiB,
        // zero sessionId and lastReceivedSeq, no clientId, no token.
        var hello = "01" + "00" + "0000002e" + "54544852" + "09" + "09" + "00000000" + "00000000" + "00100000"
            + new string('0', 32) + new string('0', 16) + "0000" + "0000";

        // Several attempts: the first connection to a cold server is slow (JIT), later ones exercise the fast path.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await using var client = PythonClient.Start(server.Port, "--hello-hex", hello);

            var exitCode = await client.WaitForExitAsync();
            output.WriteLine($"attempt {attempt}:");
            Log(client);

            Assert.True(exitCode == 2, $"attempt {attempt}: exit code {exitCode}{client.Describe()}");
            Assert.Empty(client.Events("welcome"));
            var close = Assert.Single(client.Events("close"));
            Assert.Equal("received", close.GetProperty("direction").GetString());
            Assert.Equal(1003, close.GetProperty("code").GetInt32());
            Assert.Equal("UNSUPPORTED_VERSION", close.GetProperty("name").GetString());
            Assert.Contains(client.StderrLines, l => l.Contains("CLOSE 1003", StringComparison.Ordinal));
        }
    }

    private void Log(PythonClient client)
    {
        foreach (var line in client.StdoutLines)
        {
            output.WriteLine(line);
        }

        foreach (var line in client.StderrLines)
        {
            output.WriteLine("stderr: " + line);
        }
    }
}
