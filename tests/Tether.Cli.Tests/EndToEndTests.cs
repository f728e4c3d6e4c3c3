using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using static Tether.Cli.Tests.CliJson;

namespace Tether.Cli.Tests;

/// <summary>The built CLI as real processes talking over loopback.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly string _portFile = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");

    public void Dispose() => File.Delete(_portFile);

    [Theory]
    [InlineData("epoll")]
    [InlineData("portable")]
    public async Task Connect_json_receives_the_echo_of_a_line_and_exits_cleanly_on_eof(string transport)
    {
        await using var server = CliProcess.Start("serve", "--transport", transport, "--listen", "127.0.0.1:0", "--port-file", _portFile);
        var port = await WaitForPortAsync(server);

        await using var client = CliProcess.Start("connect", "--transport", transport, $"127.0.0.1:{port}", "--json");
        var connected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected"));
        Assert.Equal($"127.0.0.1:{port}", connected.GetProperty("endpoint").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", connected.GetProperty("ts").GetString());

        await client.Stdin.WriteLineAsync("hello, wörld");
        var message = Parse(await client.WaitForStdoutAsync(line => Event(line) == "message"));
        Assert.Equal("hello, wörld", message.GetProperty("data").GetString());
        Assert.False(message.TryGetProperty("hex", out _));

        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        var last = Parse(client.StdoutLines[^1]);
        Assert.Equal("closed", last.GetProperty("event").GetString());
        Assert.Equal("closed", last.GetProperty("reason").GetString());
        Assert.All(client.StdoutLines, line => Parse(line));
        Assert.Empty(client.StderrLines);

        server.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains(server.StderrLines, line => line == "tether: stopped");
        Assert.False(File.Exists(_portFile), "the port file is removed when the server stops");
    }

    [Fact]
    public async Task Connect_human_prints_received_messages_on_stdout_and_status_on_stderr()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _portFile);
        var port = await WaitForPortAsync(server);

        await using var client = CliProcess.Start("connect", $"localhost:{port}");
        await client.WaitForStderrAsync(line => line == $"tether: connected to 127.0.0.1:{port}");
        await client.Stdin.WriteLineAsync("ping me");
        await client.WaitForStdoutAsync(line => line == "ping me");

        client.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal(["ping me"], client.StdoutLines);
        Assert.Equal("tether: closed", client.StderrLines[^1]);
    }

    [Fact]
    public async Task Server_shutdown_is_reported_as_disconnected_then_reconnecting()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _portFile, "--drain", "5s");
        var port = await WaitForPortAsync(server);
        await using var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--json", "--backoff-max", "200ms");
        await client.WaitForStdoutAsync(line => Event(line) == "connected");

        server.Signal(CliProcess.SigTerm);

        var disconnected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "disconnected"));
        Assert.Equal("going-away", disconnected.GetProperty("reason").GetString());
        Assert.Equal(1001, disconnected.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(disconnected.GetProperty("description").GetString()));
        var reconnecting = Parse(await client.WaitForStdoutAsync(_ => true));
        Assert.Equal("reconnecting", reconnecting.GetProperty("event").GetString());
        Assert.Equal(1, reconnecting.GetProperty("attempt").GetInt32());
        Assert.True(reconnecting.GetProperty("delayMs").GetInt64() >= 0);

        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains(server.StderrLines, line => line.StartsWith("tether: stopping: 1 connection(s)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("portable")]
    public async Task A_server_restart_is_reported_as_a_lost_session_and_the_client_goes_on_in_a_new_one(string transport)
    {
        await using var first = CliProcess.Start("serve", "--transport", transport, "--listen", "127.0.0.1:0", "--port-file", _portFile, "--drain", "0");
        var port = await WaitForPortAsync(first);
        await using var client = CliProcess.Start("connect", "--transport", transport, $"127.0.0.1:{port}", "--json", "--backoff-max", "200ms");
        var connected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected"));

        first.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync());
        await using var second = CliProcess.Start("serve", "--transport", transport, "--listen", $"127.0.0.1:{port}");
        await second.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));

        // The new server has never heard of the session: the client is told before it is connected again.
        var lost = Parse(await client.WaitForStdoutAsync(line => Event(line) == "session-lost"));
        Assert.Equal("unknown", lost.GetProperty("reason").GetString());
        Assert.Equal(0, lost.GetProperty("unacknowledgedSent").GetInt64());
        Assert.Equal(JsonValueKind.Null, lost.GetProperty("serverReportedLost").ValueKind);
        Assert.Matches("^[0-9a-f]{32}$", lost.GetProperty("sessionId").GetString());
        Assert.False(string.IsNullOrEmpty(lost.GetProperty("description").GetString()));
        var reconnected = Parse(await client.WaitForStdoutAsync(line => Event(line) == "connected" && line != connected.GetRawText()));
        Assert.Equal($"127.0.0.1:{port}", reconnected.GetProperty("endpoint").GetString());

        await client.Stdin.WriteLineAsync("after the restart");
        var echo = Parse(await client.WaitForStdoutAsync(line => Event(line) == "message"));
        Assert.Equal("after the restart", echo.GetProperty("data").GetString());
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.DoesNotContain(client.StdoutLines, line => Event(line) == "resumed");
        second.Signal(CliProcess.SigTerm);
        Assert.Equal(0, await second.WaitForExitAsync());
    }

    [Fact]
    public async Task Connect_to_a_closed_port_gives_up_after_max_attempts_with_one_line()
    {
        var port = ClosedPort();
        await using var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--max-attempts", "2", "--backoff-max", "100ms", "--json");
        client.Stdin.Close();

        Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
        var line = Assert.Single(client.StderrLines);
        Assert.Equal($"tether: cannot connect to 127.0.0.1:{port}: connection refused (gave up after 2 attempts)", line);
        var events = client.StdoutLines.Select(Parse).ToList();
        // Two attempts in total: the first, and one reconnect.
        Assert.Equal(["reconnecting", "error", "closed"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(1, events[0].GetProperty("attempt").GetInt32());
        Assert.Equal("gave-up", events[^1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Connect_failure_in_human_mode_ends_with_the_error_and_no_stack_trace()
    {
        var port = ClosedPort();
        await using var client = CliProcess.Start("connect", $"127.0.0.1:{port}", "--max-attempts", "1", "--backoff-max", "50ms");

        Assert.Equal(ExitCodes.Failure, await client.WaitForExitAsync());
        Assert.Equal($"tether: cannot connect to 127.0.0.1:{port}: connection refused (gave up after 1 attempt)", client.StderrLines[^1]);
        Assert.All(client.StderrLines, line => Assert.StartsWith("tether: ", line, StringComparison.Ordinal));
        Assert.Empty(client.StdoutLines);
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_fails_with_one_line()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        await using var server = CliProcess.Start("serve", "--listen", $"127.0.0.1:{port}");

        Assert.Equal(ExitCodes.Failure, await server.WaitForExitAsync());
        var line = Assert.Single(server.StderrLines);
        Assert.Equal($"tether: cannot listen on 127.0.0.1:{port}: the address is already in use", line);
        // Not "Stopping: GOAWAY sent to 0 connections ... Stopped" from disposing the server that never started.
        Assert.Empty(server.StdoutLines);
    }

    [Theory]
    [InlineData("serve", "--heartbeat", "abc")]
    [InlineData("connect", "127.0.0.1:7447", "--heartbeat", "abc")]
    public async Task Bad_duration_fails_with_one_line_naming_the_option(params string[] args)
    {
        await using var cli = CliProcess.Start(args);

        Assert.Equal(ExitCodes.Usage, await cli.WaitForExitAsync());
        var line = Assert.Single(cli.StderrLines);
        Assert.StartsWith("tether: --heartbeat: 'abc' is not a duration", line, StringComparison.Ordinal);
        Assert.Empty(cli.StdoutLines);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        await using var cli = CliProcess.Start("--help");

        Assert.Equal(0, await cli.WaitForExitAsync());
        Assert.Contains(cli.StdoutLines, line => line.TrimStart().StartsWith("serve", StringComparison.Ordinal));
        Assert.Contains(cli.StdoutLines, line => line.TrimStart().StartsWith("connect", StringComparison.Ordinal));
        Assert.Contains(cli.StdoutLines, line => line.Contains("tether [command] [options]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        await using var cli = CliProcess.Start("--version");

        Assert.Equal(0, await cli.WaitForExitAsync());
        Assert.StartsWith("0.1.0", Assert.Single(cli.StdoutLines), StringComparison.Ordinal);
    }

    private async Task<int> WaitForPortAsync(CliProcess server)
    {
        // The port file is complete before the listening line is printed.
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        return int.Parse(File.ReadAllLines(_portFile)[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int ClosedPort()
    {
        // A port that was just free: nothing listens on it, so connecting is refused at once.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
