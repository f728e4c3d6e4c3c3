using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary><c>tether proxy</c> as a real process, between a real <c>tether serve</c> and <c>tether connect</c>.</summary>
public sealed class ProxyEndToEndTests : IDisposable
{
    private readonly PortFiles _ports = new();

    public void Dispose() => _ports.Dispose();

    [Theory]
    [InlineData("epoll")]
    [InlineData("portable")]
    public async Task Blackhole_makes_the_client_time_out_and_pass_lets_it_reconnect(string transport)
    {
        await using var server = CliProcess.Start("serve", "--transport", transport, "--listen", "127.0.0.1:0", "--port-file", _ports.Server, "--heartbeat", "1s", "--timeout", "3s");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        var serverPort = PortFiles.Read(_ports.Server);

        await using var proxy = CliProcess.Start("proxy", "--target", $"127.0.0.1:{serverPort}", "--port-file", _ports.Proxy, "--json");
        var proxyPort = await WaitForProxyAsync(proxy, $"127.0.0.1:{serverPort}");

        // A short connect timeout and backoff so that, once the path is back, the attempt after the one lost in the
        // black hole comes quickly.
        await using var client = CliProcess.Start(
            "connect", "--transport", transport, $"127.0.0.1:{proxyPort}", "--json", "--heartbeat", "1s", "--timeout", "3s", "--connect-timeout", "2s", "--backoff-max", "500ms");
        var connected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected"));
        Assert.Equal($"127.0.0.1:{proxyPort}", connected.GetProperty("endpoint").GetString());

        await proxy.Stdin.WriteLineAsync("blackhole");
        var blackhole = Parse(await proxy.WaitForStdoutAsync(line => Event(line) == "fault"));
        Assert.Equal("blackhole", blackhole.GetProperty("mode").GetString());
        Assert.Equal("both", blackhole.GetProperty("direction").GetString());

        var disconnected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "disconnected"));
        Assert.Equal("heartbeat-timeout", disconnected.GetProperty("reason").GetString());
        // 3 s of silence, counted from the last frame received before the black hole: about 2-3 s after the
        // acknowledgement. Generous bounds: not at once (the proxy closed nothing), and not long after the timeout.
        var elapsed = Timestamp(disconnected) - Timestamp(blackhole);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));

        await proxy.Stdin.WriteLineAsync("pass");
        var pass = Parse(await proxy.WaitForStdoutAsync(line => Event(line) == "fault"));
        Assert.Equal("pass", pass.GetProperty("mode").GetString());

        var reconnected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected"));
        Assert.Equal($"127.0.0.1:{proxyPort}", reconnected.GetProperty("endpoint").GetString());
        Assert.True(Timestamp(reconnected) >= Timestamp(pass));

        // The new connection works end to end.
        await client.Stdin.WriteLineAsync("still there?");
        var echo = Parse(await client.WaitForStdoutAsync(line => Event(line) == "message"));
        Assert.Equal("still there?", echo.GetProperty("data").GetString());

        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        proxy.Stdin.Close();
        Assert.Equal(0, await proxy.WaitForExitAsync());
        Assert.All(proxy.StdoutLines, line => Parse(line));
        Assert.Equal("tether: proxy stopped", proxy.StderrLines[^1]);
        Assert.False(File.Exists(_ports.Proxy), "the port file is removed when the proxy stops");
        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Fact]
    public async Task A_reset_through_the_proxy_is_reported_as_a_resumed_session()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _ports.Server);
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        var serverPort = PortFiles.Read(_ports.Server);
        await using var proxy = CliProcess.Start("proxy", "--target", $"127.0.0.1:{serverPort}", "--port-file", _ports.Proxy);
        var proxyPort = await WaitForProxyAsync(proxy, $"127.0.0.1:{serverPort}");
        await using var client = CliProcess.Start("connect", $"127.0.0.1:{proxyPort}", "--json", "--backoff-max", "200ms");
        await client.WaitForStdoutAsync(line => Event(line) == "connected");
        await client.Stdin.WriteLineAsync("one");
        await client.WaitForStdoutAsync(line => Event(line) == "message");

        await proxy.Stdin.WriteLineAsync("reset");

        var resumed = Parse(await client.WaitForStdoutAsync(line => Event(line) == "resumed"));
        Assert.Matches("^[0-9a-f]{32}$", resumed.GetProperty("sessionId").GetString());
        Assert.Equal(1, resumed.GetProperty("serverLastReceived").GetInt64());
        Assert.Equal(0, resumed.GetProperty("resent").GetInt32());
        await client.Stdin.WriteLineAsync("two");
        await client.WaitForStdoutAsync(line => Event(line) == "message" && Parse(line).GetProperty("data").GetString() == "two");

        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        var messages = client.StdoutLines.Where(line => Event(line) == "message").Select(line => Parse(line).GetProperty("data").GetString());
        Assert.Equal(["one", "two"], messages);
        Assert.DoesNotContain(client.StdoutLines, line => Event(line) == "session-lost");
        // The library resumes before it reports the connection; the output says "connected" first.
        var events = client.StdoutLines.Select(Event).ToList();
        var resumedAt = events.IndexOf("resumed");
        Assert.Equal("connected", events[resumedAt - 1]);
        Assert.Equal(2, events.Take(resumedAt).Count(e => e == "connected"));
    }

    [Fact]
    public async Task Proxy_acknowledges_commands_in_text_reports_errors_and_exits_0_on_eof()
    {
        await using var proxy = CliProcess.Start("proxy", "--target", "127.0.0.1:9", "--port-file", _ports.Proxy);
        await WaitForProxyAsync(proxy, "127.0.0.1:9");

        await proxy.Stdin.WriteLineAsync("delay 250ms up");
        Assert.Equal("ok delay 250ms up", await proxy.WaitForStdoutAsync(_ => true));
        await proxy.Stdin.WriteLineAsync("jump");
        Assert.StartsWith("error: unknown command 'jump'", await proxy.WaitForStdoutAsync(_ => true), StringComparison.Ordinal);
        await proxy.Stdin.WriteLineAsync("reset");
        Assert.Equal("ok reset 0", await proxy.WaitForStdoutAsync(_ => true));
        await proxy.Stdin.WriteLineAsync("status");
        Assert.Equal("ok status mode=mixed up=delay:250ms down=pass refuse=off active=0 accepted=0 bytes=0", await proxy.WaitForStdoutAsync(_ => true));

        proxy.Stdin.Close();
        Assert.Equal(0, await proxy.WaitForExitAsync());
        Assert.Equal(4, proxy.StdoutLines.Count);
        Assert.Equal(["tether: proxy stopped"], proxy.StderrLines.Skip(1));
        Assert.False(File.Exists(_ports.Proxy));
    }

    [Fact]
    public async Task Proxy_stops_with_exit_code_0_on_sigterm()
    {
        await using var proxy = CliProcess.Start("proxy", "--target", "127.0.0.1:9", "--port-file", _ports.Proxy);
        await WaitForProxyAsync(proxy, "127.0.0.1:9");

        proxy.Signal(CliProcess.SigTerm);

        Assert.Equal(0, await proxy.WaitForExitAsync());
        Assert.Equal("tether: proxy stopped", proxy.StderrLines[^1]);
        Assert.False(File.Exists(_ports.Proxy));
    }

    [Fact]
    public async Task Proxy_help_lists_the_stdin_commands()
    {
        await using var cli = CliProcess.Start("proxy", "--help");

        Assert.Equal(0, await cli.WaitForExitAsync());
        var lines = cli.StdoutLines;
        Assert.Contains(lines, line => line.StartsWith("Commands on stdin", StringComparison.Ordinal));
        foreach (var command in new[] { "pass", "blackhole", "delay DURATION", "slice N", "reset", "refuse on|off", "status", "help" })
        {
            Assert.Contains(lines, line => line.StartsWith("  " + command, StringComparison.Ordinal));
        }

        Assert.Contains(lines, line => line.Contains("--target <host:port>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_without_target_is_a_usage_error_in_one_line()
    {
        await using var cli = CliProcess.Start("proxy");

        Assert.Equal(ExitCodes.Usage, await cli.WaitForExitAsync());
        Assert.Equal("tether: Option '--target' is required (see 'tether proxy --help')", Assert.Single(cli.StderrLines));
        Assert.Empty(cli.StdoutLines);
    }

    [Fact]
    public async Task Proxy_on_a_port_in_use_fails_with_one_line()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        await using var proxy = CliProcess.Start("proxy", "--listen", $"127.0.0.1:{port}", "--target", "127.0.0.1:9");

        Assert.Equal(ExitCodes.Failure, await proxy.WaitForExitAsync());
        Assert.Equal($"tether: cannot listen on 127.0.0.1:{port}: the address is already in use", Assert.Single(proxy.StderrLines));
        Assert.Empty(proxy.StdoutLines);
    }

    private async Task<int> WaitForProxyAsync(CliProcess proxy, string target)
    {
        // The port file is complete before the start line is printed.
        var line = await proxy.WaitForStderrAsync(line => line.StartsWith("tether: proxy ", StringComparison.Ordinal));
        var port = PortFiles.Read(_ports.Proxy);
        Assert.Equal($"tether: proxy 127.0.0.1:{port} -> {target}", line);
        return port;
    }

    private static DateTimeOffset Timestamp(JsonElement e) =>
        DateTimeOffset.ParseExact(e.GetProperty("ts").GetString()!, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
