using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Tether.FaultProxy;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// The Java client of clients/java against the real server: its README example as written, its example program
/// (the equivalent of <c>tether connect --json</c>), and the seed's heartbeat and reconnect programs rewritten on it.
/// In the README-port collection because every language's README example talks to 127.0.0.1:7447.
/// </summary>
[Collection("ReadmePort7447")]
public sealed class JavaClientTests(ITestOutputHelper output)
{
    [JavaClientFact]
    public async Task Readme_example_runs_as_written_against_an_echo_server_on_port_7447()
    {
        var example = JavaReadmeExample.Parse(await File.ReadAllTextAsync(Path.Combine(JavaClientLibrary.ClientDirectory, "README.md")));
        var (server, _) = await JavaClientLibrary.StartEchoServerAsync(7447);
        await using var stop = server;
        var directory = Directory.CreateTempSubdirectory("tether-java-readme-");
        var link = Path.Combine(directory.FullName, "clients");
        try
        {
            // The README says "save it in the repository root and run from there": a scratch directory that shows
            // the repository's clients/ stands in for it, so the commands run exactly as written.
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, example.ClassName + ".java"), example.Code);
            Directory.CreateSymbolicLink(link, Path.Combine(JavaClientLibrary.RepositoryRoot, "clients"));
            IReadOnlyList<string> lastOutput = [];
            foreach (var command in example.Commands)
            {
                var start = new ProcessStartInfo("bash") { WorkingDirectory = directory.FullName };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(command);
                await using var process = ChildProcess.Start(start, $"'{command}'", outputLabel: "readme");
                var exitCode = await process.WaitForExitAsync(JavaClientLibrary.Timeout);
                output.WriteLine($"$ {command}{process.Describe()}");
                Assert.True(exitCode == 0, $"'{command}' exited with {exitCode}{process.Describe()}");
                lastOutput = process.StdoutLines;
            }

            Assert.Equal(["hello"], lastOutput);
        }
        finally
        {
            Directory.Delete(link);
            directory.Delete(recursive: true);
        }
    }

    [JavaClientFact]
    public async Task Example_program_sends_stdin_lines_prints_the_echoes_and_closes_with_everything_acknowledged()
    {
        var (server, handler) = await JavaClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        var port = server.LocalEndPoints[0].Port;
        string[] lines = ["first", "second line", "héllo wörld ✓"];
        await using var example = JavaClientLibrary.StartExample("--json", $"127.0.0.1:{port}");
        foreach (var line in lines)
        {
            await example.Stdin.WriteLineAsync(line);
        }

        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(JavaClientLibrary.Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = JavaClientLibrary.Events(example);
        Assert.All(events, e => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("ts").GetString()));
        Assert.Equal("connected", JavaClientLibrary.Name(events[0]));
        Assert.Equal($"127.0.0.1:{port}", events[0].GetProperty("endpoint").GetString());
        Assert.Equal(lines, events.Where(e => JavaClientLibrary.Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        var closed = events[^1];
        Assert.Equal("closed", JavaClientLibrary.Name(closed));
        Assert.Equal("closed", closed.GetProperty("reason").GetString());
        Assert.Equal(0, closed.GetProperty("unacknowledged").GetInt32());
        Assert.Equal(lines.Select(Encoding.UTF8.GetBytes), handler.Messages.ToArray());
    }

    [JavaClientFact]
    public async Task Example_program_resends_lines_after_a_reset_exactly_once_and_in_order()
    {
        var (server, handler) = await JavaClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoints[0].Port));
        await using var example = JavaClientLibrary.StartExample($"127.0.0.1:{proxy.EndPoint.Port}", "--backoff-base", "100ms");
        var lines = Enumerable.Range(1, 20).Select(i => $"line {i}").ToArray();
        foreach (var line in lines[..10])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        await example.WaitForLineAsync(OutputStream.Stdout, l => l.Contains("\"data\":\"line 10\"", StringComparison.Ordinal), JavaClientLibrary.Timeout);
        proxy.ResetAll();
        foreach (var line in lines[10..])
        {
            await example.Stdin.WriteLineAsync(line);
        }

        await example.WaitForLineAsync(OutputStream.Stdout, l => l.Contains("\"event\":\"resumed\"", StringComparison.Ordinal), JavaClientLibrary.Timeout);
        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(JavaClientLibrary.Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = JavaClientLibrary.Events(example);
        Assert.Equal(lines, events.Where(e => JavaClientLibrary.Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        Assert.Contains(events, e => JavaClientLibrary.Name(e) == "disconnected" && e.GetProperty("reason").GetString() == "connection-lost");
        Assert.DoesNotContain(events, e => JavaClientLibrary.Name(e) == "session-lost");
        Assert.Equal(0, events[^1].GetProperty("unacknowledged").GetInt32());
        Assert.Equal(lines, handler.Messages.Select(m => Encoding.UTF8.GetString(m)));
    }

    [JavaClientFact]
    public async Task Example_program_refuses_an_unknown_option_with_one_error_line()
    {
        await using var example = JavaClientLibrary.StartExample("--bogus", "127.0.0.1:7447");
        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(JavaClientLibrary.Timeout);

        Assert.True(exitCode == 1, $"exit code {exitCode}{example.Describe()}");
        Assert.Empty(example.StdoutLines);
        var error = Assert.Single(example.StderrLines);
        Assert.Contains("--bogus", error, StringComparison.Ordinal);
    }

    [JavaClientFact]
    public async Task Example_program_gives_up_after_max_attempts_with_exit_code_2()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var example = JavaClientLibrary.StartExample($"127.0.0.1:{port}", "--max-attempts", "2", "--backoff-base", "50ms");
        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(JavaClientLibrary.Timeout);

        Assert.True(exitCode == 2, $"exit code {exitCode}{example.Describe()}");
        var events = JavaClientLibrary.Events(example);
        var retry = Assert.Single(events, e => JavaClientLibrary.Name(e) == "reconnecting");
        Assert.Equal(1, retry.GetProperty("attempt").GetInt32());
        Assert.Contains("refused", retry.GetProperty("lastError").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("gave-up", events[^1].GetProperty("reason").GetString());
        Assert.NotEmpty(example.StderrLines);
    }

    [JavaClientFact]
    public async Task Heartbeat_program_measures_the_round_trip_and_detects_a_black_holed_server()
    {
        var (server, _) = await JavaClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoints[0].Port));

        // With equal intervals only one side pings (D12), and the server's 250 ms timing wheel could win that race;
        // delaying what the server sends by more than a tick lets the client's own PING go out first every time.
        proxy.Delay(TimeSpan.FromMilliseconds(400), FaultDirection.ServerToClient);
        await using var program = JavaClientLibrary.StartLibraryProgram("HeartbeatClient", "127.0.0.1", proxy.EndPoint.Port.ToString(CultureInfo.InvariantCulture), "60");

        // The program sends nothing of its own: the round trips come from the library's PINGs.
        await program.WaitForLineAsync(OutputStream.Stdout, l => l.StartsWith("rtt ", StringComparison.Ordinal), JavaClientLibrary.Timeout);
        var blackHoled = Stopwatch.StartNew();
        proxy.BlackHole();
        var exitCode = await program.WaitForExitAsync(JavaClientLibrary.Timeout);
        output.WriteLine(program.Describe());

        Assert.True(exitCode == 1, $"exit code {exitCode}{program.Describe()}");
        Assert.Contains(program.StdoutLines, l => l.StartsWith("disconnected: heartbeat-timeout", StringComparison.Ordinal));

        // Timeout 3 s after the last frame received, plus a check period and a JVM exit.
        Assert.InRange(blackHoled.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));
    }

    [JavaClientFact]
    public async Task Heartbeat_program_stays_connected_without_sending_anything()
    {
        var (server, handler) = await JavaClientLibrary.StartEchoServerAsync(0);
        await using var stop = server;
        await using var program = JavaClientLibrary.StartLibraryProgram("HeartbeatClient", "127.0.0.1", server.LocalEndPoints[0].Port.ToString(CultureInfo.InvariantCulture), "5");

        var exitCode = await program.WaitForExitAsync(JavaClientLibrary.Timeout);
        output.WriteLine(program.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{program.Describe()}");
        Assert.Equal("still connected after 5 s", program.StdoutLines[^1]);
        Assert.Empty(handler.Messages);
    }

    [JavaClientFact]
    public async Task Reconnect_program_survives_a_server_restart_and_gets_every_echo()
    {
        var (first, _) = await JavaClientLibrary.StartEchoServerAsync(0);
        var (second, _) = await JavaClientLibrary.StartEchoServerAsync(0);
        await using var stopSecond = second;
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, first.LocalEndPoints[0].Port));
        await using var program = JavaClientLibrary.StartLibraryProgram("ReconnectClient", "127.0.0.1", proxy.EndPoint.Port.ToString(CultureInfo.InvariantCulture), "10");
        try
        {
            await program.WaitForLineAsync(OutputStream.Stdout, l => l == "Received: ping 3", JavaClientLibrary.Timeout);

            // The "restart": the first server stops, the proxy's address now leads to a fresh one without sessions.
            proxy.Target = new IPEndPoint(IPAddress.Loopback, second.LocalEndPoints[0].Port);
            await first.DisposeAsync();
            proxy.ResetAll();
            var exitCode = await program.WaitForExitAsync(JavaClientLibrary.Timeout);
            output.WriteLine(program.Describe());

            Assert.True(exitCode == 0, $"exit code {exitCode}{program.Describe()}");
            Assert.Equal("all 10 echoes matched", program.StdoutLines[^1]);
            Assert.Equal(10, program.StdoutLines.Count(l => l.StartsWith("Received: ping ", StringComparison.Ordinal)));
            Assert.Contains(program.StdoutLines, l => l.StartsWith("reconnecting: attempt 1", StringComparison.Ordinal));
            Assert.Equal(2, program.StdoutLines.Count(l => l.StartsWith("connected to ", StringComparison.Ordinal)));
        }
        finally
        {
            await first.DisposeAsync();
        }
    }
}
