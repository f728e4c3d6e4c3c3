using System.CommandLine;
using System.Net;
using Tether.Cli.Commands;
using Tether.Client;
using Tether.Server;

namespace Tether.Cli.Tests;

/// <summary>From argv to library options, without running anything.</summary>
public class CommandLineTests
{
    [Fact]
    public void Serve_defaults_match_the_library()
    {
        var options = Serve();
        var defaults = new TetherServerOptions();
        Assert.Empty(options.EndPoints);
        var listener = Assert.Single(options.Listeners);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7447), listener.EndPoint);
        Assert.Null(listener.Framing);
        Assert.Equal(defaults.Heartbeat.Interval, options.Heartbeat.Interval);
        Assert.Equal(defaults.Heartbeat.Timeout, options.Heartbeat.Timeout);
        Assert.Equal(defaults.HandshakeTimeout, options.HandshakeTimeout);
        Assert.Equal(defaults.MaxFrameSize, options.MaxFrameSize);
        Assert.Equal(defaults.MaxConnections, options.MaxConnections);
        Assert.Equal(defaults.ShutdownDrainTimeout, options.ShutdownDrainTimeout);
        // tether serve is a process of its own, so it owns the collection policy: memory goes back after a peak; the
        // library leaves that to its host.
        Assert.True(options.ReturnMemoryAfterPeak);
        Assert.False(defaults.ReturnMemoryAfterPeak);
    }

    [Fact]
    public void Serve_takes_every_option()
    {
        var options = Serve(
            "--listen", "127.0.0.1:0", "--listen", "[::1]:9000", "-l", ":9001",
            "--heartbeat", "5s", "--timeout", "20s", "--handshake-timeout", "2s", "--max-frame-size", "4096",
            "--max-connections", "10", "--drain", "0", "--server-id", "node-a", "--keep-memory-after-peak");
        Assert.Equal(["127.0.0.1:0", "[::1]:9000", "0.0.0.0:9001"], options.Listeners.Select(l => l.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(5), options.Heartbeat.Interval);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Heartbeat.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.HandshakeTimeout);
        Assert.Equal(4096, options.MaxFrameSize);
        Assert.Equal(10, options.MaxConnections);
        Assert.Equal(TimeSpan.Zero, options.ShutdownDrainTimeout);
        Assert.Equal("node-a", options.ServerId);
        Assert.False(options.ReturnMemoryAfterPeak);
    }

    [Fact]
    public void Serve_heartbeat_alone_scales_the_timeout()
    {
        var options = Serve("--heartbeat", "2m");
        Assert.Equal(TimeSpan.FromMinutes(2), options.Heartbeat.Interval);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Heartbeat.Timeout);
    }

    [Fact]
    public void Serve_short_heartbeat_is_not_clamped()
    {
        // The finer timing wheel a short timeout needs is the server's to choose (WheelTickPolicyTests).
        var options = Serve("--heartbeat", "200ms");
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Heartbeat.Interval);
        Assert.True(options.Heartbeat.MinInterval <= options.Heartbeat.Interval);
    }

    [Fact]
    public void Serve_short_timeout_alone_lowers_the_interval()
    {
        var options = Serve("--timeout", "5s");
        Assert.Equal(TimeSpan.FromSeconds(5), options.Heartbeat.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Heartbeat.Interval);
    }

    [Fact]
    public void Serve_timeout_below_heartbeat_is_a_usage_error()
    {
        var ex = Assert.Throws<CliException>(() => Serve("--heartbeat", "10s", "--timeout", "5s"));
        Assert.Equal("heartbeat timeout (5 s) must be at least the interval (10 s)", ex.Message);
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
    }

    [Fact]
    public void Connect_takes_every_option()
    {
        var options = Connect(
            "127.0.0.1:1", "localhost:2", "example.com:3", "--client-id", "me", "--heartbeat", "1s", "--timeout", "3s",
            "--max-attempts", "4", "--backoff-base", "10ms", "--backoff-max", "1s", "--stable-after", "1m",
            "--connect-timeout", "2s", "--send-timeout", "3s", "--endpoint-selection", "round-robin");
        Assert.Equal(["127.0.0.1:1", "127.0.0.1:2", "Unspecified/example.com:3"], options.EndPoints.Select(e => e.ToString()));
        Assert.Equal("me", options.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(1), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), options.HeartbeatTimeout);
        Assert.Equal(4, options.Reconnect.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.Reconnect.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Reconnect.MaxDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Reconnect.StableAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), options.DisconnectedSendTimeout);
        Assert.Equal(EndpointSelection.RoundRobin, options.EndpointSelection);
    }

    [Fact]
    public void Connect_defaults_leave_heartbeat_to_the_server_and_retry_forever()
    {
        var options = Connect("127.0.0.1:1");
        Assert.Null(options.HeartbeatInterval);
        Assert.Null(options.HeartbeatTimeout);
        Assert.Null(options.Reconnect.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Reconnect.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Reconnect.MaxDelay);
        Assert.Null(options.ClientId);
        Assert.Equal(EndpointSelection.Failover, options.EndpointSelection);
        Assert.True(options.Sessions.Enabled);
    }

    [Fact]
    public void Connect_no_session_turns_sessions_off()
    {
        Assert.False(Connect("127.0.0.1:1", "--no-session").Sessions.Enabled);
    }

    [Fact]
    public void Connect_backoff_max_alone_lowers_the_base()
    {
        var options = Connect("127.0.0.1:1", "--backoff-max", "100ms");
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Reconnect.MaxDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Reconnect.BaseDelay);
    }

    [Fact]
    public void Connect_backoff_base_alone_raises_the_max()
    {
        var options = Connect("127.0.0.1:1", "--backoff-base", "1m");
        Assert.Equal(TimeSpan.FromMinutes(1), options.Reconnect.BaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Reconnect.MaxDelay);
    }

    [Fact]
    public void Connect_backoff_base_above_max_is_a_usage_error()
    {
        var ex = Assert.Throws<CliException>(() => Connect("127.0.0.1:1", "--backoff-base", "2s", "--backoff-max", "1s"));
        Assert.Contains("--backoff-base (2s) must not exceed --backoff-max (1s)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tether: --heartbeat: 'abc' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h) (see 'tether serve --help')", "serve", "--heartbeat", "abc")]
    [InlineData("tether: --drain: '-1s' is negative; durations must be zero or more (see 'tether serve --help')", "serve", "--drain", "-1s")]
    [InlineData("tether: --max-frame-size: must be at least 1024, not 10 (see 'tether serve --help')", "serve", "--max-frame-size", "10")]
    [InlineData("tether: --listen: cannot listen on 'nope': use an IP address, localhost, or :PORT for all interfaces (see 'tether serve --help')", "serve", "--listen", "nope:1")]
    [InlineData("tether: --listen: unknown framing 'bogus' (use tether, lines, length-prefixed or raw) (see 'tether serve --help')", "serve", "--listen", "bogus@1.2.3.4:5")]
    [InlineData("tether: --listen: unknown key 'foo' for lines (valid: idle-timeout, probe, probe-interval, ping, pong, max-length, tls) (see 'tether serve --help')", "serve", "--listen", "lines@127.0.0.1:0,foo")]
    [InlineData("tether: --listen: 'probe' is given twice; --listen: header: 'u8' is not u16 or u32 (see 'tether serve --help')", "serve", "--listen", "lines@127.0.0.1:0,probe,probe", "--listen", "length-prefixed@127.0.0.1:0,header=u8")]
    [InlineData("tether: --max-attempts: must be at least 1, not 0 (see 'tether connect --help')", "connect", "127.0.0.1:1", "--max-attempts", "0")]
    [InlineData("tether: --endpoint-selection: 'random' is not one of failover, round-robin (see 'tether connect --help')", "connect", "127.0.0.1:1", "--endpoint-selection", "random")]
    [InlineData("tether: '::1:7447': put IPv6 addresses in brackets, e.g. [::1]:7447 (see 'tether connect --help')", "connect", "::1:7447")]
    public void Parse_errors_are_one_line_naming_the_option(string expected, params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(args);
        Assert.NotEmpty(parse.Errors);
        Assert.Equal(expected, CliApp.DescribeParseErrors(parse));
    }

    [Fact]
    public void Every_option_and_command_has_help_text()
    {
        var root = CliApp.CreateRootCommand();
        foreach (var command in root.Subcommands.Prepend(root))
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), command.Name);
            foreach (var option in command.Options)
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{command.Name} {option.Name}");
            }

            foreach (var argument in command.Arguments)
            {
                Assert.False(string.IsNullOrWhiteSpace(argument.Description), $"{command.Name} {argument.Name}");
            }
        }
    }

    [Fact]
    public void The_shipped_commands_are_the_users_ones()
    {
        // The decoder fuzzer is a developers' check (tools/Tether.Fuzz), not a command of the installed tool.
        Assert.Equal(
            ["serve", "connect", "proxy", "soak", "token", "cert", "push", "broadcast", "group-push", "clients", "kick", "conformance"],
            CliApp.CreateRootCommand().Subcommands.Select(command => command.Name));
        Assert.NotEmpty(CliApp.CreateRootCommand().Parse(["fuzz"]).Errors);
    }

    private static TetherServerOptions Serve(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["serve", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ServeCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }

    private static TetherClientOptions Connect(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["connect", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ConnectCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }
}
