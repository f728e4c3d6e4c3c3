using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tether.Protocol;

namespace Tether.Cli.Tests;

/// <summary>
/// tether conformance played for real: against tether serve and tether connect (both must pass every scenario), and
/// against deliberately broken peers (the runner must notice).
/// </summary>
public sealed partial class ConformanceEndToEndTests : IDisposable
{
    private readonly PortFiles _ports = new();

    public void Dispose() => _ports.Dispose();

    [Fact]
    public async Task Tether_serve_passes_every_server_scenario()
    {
        await using var server = CliProcess.Start("serve", "--listen", "127.0.0.1:0", "--port-file", _ports.Server, "--handshake-timeout", "1s");
        var port = await WaitForPortAsync(server);

        var run = await ConformanceProcess.RunAsync("server", $"127.0.0.1:{port}", "--handshake-timeout", "1s", "--timeout-scale", "2");

        Assert.True(run.ExitCode == 0, run.Describe);
        Assert.All(run.Stdout.Take(run.Stdout.Count - 1), line => Assert.StartsWith("pass server-", line, StringComparison.Ordinal));
        Assert.Matches(Summary(), run.Stdout[^1]);
        Assert.True(run.Stdout.Count > 20, run.Describe);
        Assert.Empty(run.Stderr);
    }

    [Fact]
    public async Task Tether_connect_passes_every_client_scenario()
    {
        var run = await ConformanceProcess.RunAsync(["client", "--timeout-scale", "2", "--", .. ConformanceProcess.CliCommand("connect", "--json")]);

        Assert.True(run.ExitCode == 0, run.Describe);
        Assert.All(run.Stdout.Take(run.Stdout.Count - 1), line => Assert.StartsWith("pass client-", line, StringComparison.Ordinal));
        Assert.Matches(Summary(), run.Stdout[^1]);
        Assert.True(run.Stdout.Count > 20, run.Describe);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_ping_fails_the_ping_scenario_only()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serving = ServeWithoutPongsAsync(listener, stop.Token);

        var run = await ConformanceProcess.RunAsync("server", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "--only", "server-ping-pong,server-data-echo", "--json");

        await stop.CancelAsync();
        await serving;
        Assert.True(run.ExitCode == 1, run.Describe);
        Assert.Contains(run.Stdout, line => line.Contains("\"scenario\":\"server-ping-pong\",\"passed\":false", StringComparison.Ordinal) && line.Contains("expected PONG", StringComparison.Ordinal));
        Assert.Contains(run.Stdout, line => line.Contains("\"scenario\":\"server-data-echo\",\"passed\":true", StringComparison.Ordinal));
        Assert.Contains("\"passed\":1,\"failed\":1", run.Stdout[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_ignores_everything_after_hello_fails_ping_and_goaway()
    {
        // A client that says HELLO, claims to be connected, then reads and ignores every frame: it answers no PING and
        // does not leave on GOAWAY.
        var script = Path.Combine(Path.GetTempPath(), $"tether-deaf-client-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(script, """
            #!/bin/bash
            endpoint="${@: -1}"
            exec 3<>"/dev/tcp/${endpoint%:*}/${endpoint##*:}"
            printf '\x01\x01\x00\x00\x00\x2e\x54\x54\x48\x52\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00' >&3
            printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >&3
            echo "{\"event\":\"connected\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"endpoint\":\"$endpoint\"}"
            cat <&3 >/dev/null
            """.ReplaceLineEndings("\n"));
        try
        {
            var run = await ConformanceProcess.RunAsync("client", "--only", "client-ping-pong,client-goaway", "--", "/bin/bash", script);

            Assert.True(run.ExitCode == 1, run.Describe);
            Assert.Contains(run.Stdout, line => line.StartsWith("FAIL client-ping-pong: ", StringComparison.Ordinal) && line.Contains("expected PONG", StringComparison.Ordinal));
            Assert.Contains(run.Stdout, line => line.StartsWith("FAIL client-goaway: ", StringComparison.Ordinal));
            Assert.Equal("conformance: 0 passed, 2 failed", run.Stdout[^1]);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task An_unreachable_server_makes_the_run_impossible_in_one_line()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var run = await ConformanceProcess.RunAsync("server", $"127.0.0.1:{port}");

        Assert.True(run.ExitCode == 2, run.Describe);
        Assert.Empty(run.Stdout);
        var error = Assert.Single(run.Stderr);
        Assert.StartsWith($"tether: cannot connect to 127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("server")]
    [InlineData("server", "127.0.0.1:7447", "--only", "no-such-scenario")]
    [InlineData("client")]
    [InlineData("server", "127.0.0.1:7447", "--timeout-scale", "0")]
    public async Task Bad_command_lines_are_one_error_line_and_exit_1(params string[] args)
    {
        var run = await ConformanceProcess.RunAsync(args);

        Assert.True(run.ExitCode == 1, run.Describe);
        Assert.Empty(run.Stdout);
        Assert.StartsWith("tether: ", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_names_every_scenario_of_the_role_with_what_it_checks()
    {
        var run = await ConformanceProcess.RunAsync("client", "--list");

        Assert.True(run.ExitCode == 0, run.Describe);
        Assert.Contains(run.Stdout, line => line.StartsWith("client-goaway: ", StringComparison.Ordinal));
        Assert.All(run.Stdout, line => Assert.StartsWith("client-", line, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^conformance: \d+ passed, 0 failed$")]
    private static partial Regex Summary();

    /// <summary>A server that completes the handshake and echoes DATA but never answers PING.</summary>
    private static async Task ServeWithoutPongsAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(cancellationToken);
                connections.Add(EchoWithoutPongsAsync(socket, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    private static async Task EchoWithoutPongsAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket);
        try
        {
            var first = true;
            while (true)
            {
                var header = new byte[ProtocolConstants.HeaderSize];
                await stream.ReadExactlyAsync(header, cancellationToken);
                var body = new byte[(header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]];
                await stream.ReadExactlyAsync(body, cancellationToken);
                var output = new ArrayBufferWriter<byte>();
                if (first)
                {
                    new WelcomeFrame { HeartbeatIntervalMs = 30000, HeartbeatTimeoutMs = 75000, ConnectionId = 1 }.Write(output);
                    first = false;
                }
                else if (header[0] == (byte)FrameType.Data && header[1] == 0)
                {
                    FrameWriter.WriteData(output, body);
                }

                await stream.WriteAsync(output.WrittenMemory, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException)
        {
        }
    }

    private async Task<int> WaitForPortAsync(CliProcess server)
    {
        // The port file is complete before the listening line is printed.
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on 127.0.0.1:", StringComparison.Ordinal));
        return PortFiles.Read(_ports.Server);
    }
}
