using System.Net;
using System.Net.Sockets;
using Tether.Cli.Proxying;
using Tether.FaultProxy;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>The stdin loop of <c>tether proxy</c> against a real <see cref="TcpFaultProxy"/> on loopback, in process.</summary>
public sealed class ProxySessionTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TcpListener _target = new(IPAddress.Loopback, 0);
    private readonly TcpFaultProxy _proxy;
    private readonly StringWriter _output = new();

    public ProxySessionTests()
    {
        _target.Start();
        _proxy = TcpFaultProxy.Start(_target.LocalEndpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _target.Dispose();
        await _output.DisposeAsync();
    }

    [Fact]
    public async Task Each_line_is_applied_and_answered_with_one_line()
    {
        var session = new ProxySession(_proxy, new ProxyReplyWriter(_output, json: false));

        await session.RunAsync(new StringReader("blackhole up\n\n# nothing\ndelay 200ms down\nnope\nstatus\nslice 4 1ms\nrefuse on\npass\n"), CancellationToken.None);

        Assert.Equal(
            [
                "ok blackhole up",
                "ok delay 200ms down",
                "error: unknown command 'nope' (one of pass, blackhole, delay, slice, reset, refuse, status, help)",
                "ok status mode=mixed up=blackhole down=delay:200ms refuse=off active=0 accepted=0 bytes=0",
                "ok slice 4 1ms",
                "ok refuse on",
                "ok pass",
            ],
            Lines());
        Assert.Equal(FaultMode.Pass, _proxy.Mode);
        Assert.True(_proxy.IsRefusingNewConnections);
    }

    [Fact]
    public void Faults_reach_the_proxy_per_direction()
    {
        var session = new ProxySession(_proxy, new ProxyReplyWriter(_output, json: false));

        session.Execute("blackhole down");
        Assert.Equal(FaultMode.Pass, _proxy.GetMode(FaultDirection.ClientToServer));
        Assert.Equal(FaultMode.BlackHole, _proxy.GetMode(FaultDirection.ServerToClient));

        session.Execute("delay 1s up");
        Assert.Equal(FaultMode.Delay, _proxy.GetMode(FaultDirection.ClientToServer));
        Assert.Equal(FaultMode.BlackHole, _proxy.GetMode(FaultDirection.ServerToClient));

        session.Execute("slice 2");
        Assert.Equal(FaultMode.Slice, _proxy.Mode);

        session.Execute("refuse off");
        Assert.False(_proxy.IsRefusingNewConnections);
    }

    [Fact]
    public async Task Reset_resets_current_connections_and_says_how_many()
    {
        var session = new ProxySession(_proxy, new ProxyReplyWriter(_output, json: false));
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(_proxy.EndPoint, timeout.Token);
        // The proxy registers a connection before it connects to the target: once the target has it, it counts.
        using var upstream = await _target.AcceptTcpClientAsync(timeout.Token);

        session.Execute("status");
        session.Execute("reset");

        Assert.Equal(["ok status mode=pass up=pass down=pass refuse=off active=1 accepted=1 bytes=0", "ok reset 1"], Lines());
        var ex = await Assert.ThrowsAnyAsync<IOException>(async () => await client.GetStream().ReadExactlyAsync(new byte[1], timeout.Token));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
    }

    [Fact]
    public void Json_replies_are_one_object_per_line_with_event_and_ts()
    {
        var session = new ProxySession(_proxy, new ProxyReplyWriter(_output, json: true));

        foreach (var line in new[] { "blackhole", "delay 1.5ms up", "slice 3 10ms down", "reset", "refuse on", "status", "help", "what" })
        {
            session.Execute(line);
        }

        var events = Lines().Select(Parse).ToList();
        Assert.Equal(["fault", "fault", "fault", "reset", "refuse", "status", "help", "error"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.All(events, e => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("ts").GetString()));

        Assert.Equal("blackhole", events[0].GetProperty("mode").GetString());
        Assert.Equal("both", events[0].GetProperty("direction").GetString());
        Assert.Equal("delay", events[1].GetProperty("mode").GetString());
        Assert.Equal("up", events[1].GetProperty("direction").GetString());
        Assert.Equal(1.5, events[1].GetProperty("delayMs").GetDouble());
        Assert.Equal(3, events[2].GetProperty("sliceBytes").GetInt32());
        Assert.Equal(10, events[2].GetProperty("pauseMs").GetDouble());
        Assert.Equal(0, events[3].GetProperty("connections").GetInt32());
        Assert.True(events[4].GetProperty("refusing").GetBoolean());

        var status = events[5];
        Assert.Equal("mixed", status.GetProperty("mode").GetString());
        Assert.Equal("delay", status.GetProperty("up").GetProperty("mode").GetString());
        Assert.Equal("slice", status.GetProperty("down").GetProperty("mode").GetString());
        Assert.True(status.GetProperty("refusing").GetBoolean());
        Assert.Equal(0, status.GetProperty("active").GetInt32());
        Assert.Equal(0, status.GetProperty("bytesForwarded").GetInt64());

        Assert.Contains("blackhole [up|down|both]", events[6].GetProperty("commands").EnumerateArray().Select(c => c.GetString()));
        Assert.StartsWith("unknown command 'what'", events[7].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_every_command()
    {
        var session = new ProxySession(_proxy, new ProxyReplyWriter(_output, json: false));

        session.Execute("help");

        var lines = Lines();
        foreach (var (syntax, _) in ProxyInstructionParser.Commands)
        {
            Assert.Contains(lines, line => line.StartsWith("  " + syntax + " ", StringComparison.Ordinal));
        }
    }

    private string[] Lines() => _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
