using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tether.FaultProxy;
using Tether.Server;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// The Python client of clients/python against the real server: its README example as written, its example program
/// (the equivalent of <c>tether connect --json</c>), and the seed's heartbeat and reconnect programs rewritten on it
/// (tests/interop/library/python). In the README-port collection because every language's README example talks to
/// 127.0.0.1:7447.
/// </summary>
[Collection("ReadmePort7447")]
public sealed partial class PythonClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(InteropFiles.InRepository(), "..", ".."));

    private static readonly string ClientDirectory = Path.Combine(RepositoryRoot, "clients", "python");

    [PythonClientFact]
    public async Task Readme_example_runs_as_written_against_an_echo_server_on_port_7447()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(ClientDirectory, "README.md"));
        var blocks = FencedBlock().Matches(readme);
        var code = blocks.FirstOrDefault(m => m.Groups["lang"].Value == "python")
            ?? throw new InvalidOperationException("clients/python/README.md has no ```python block");
        var commands = blocks.FirstOrDefault(m => m.Index > code.Index && m.Groups["lang"].Value == "sh")
            ?? throw new InvalidOperationException("clients/python/README.md has no ```sh block after its ```python block");
        var fileName = SaveAs().Match(readme[..code.Index]) is { Success: true } saveAs ? saveAs.Groups[1].Value : "hello.py";
        await using var server = await StartEchoServerAsync(7447);
        var directory = Directory.CreateTempSubdirectory("tether-python-readme-");
        var link = Path.Combine(directory.FullName, "clients");
        try
        {
            // The README says "save it in the repository root and run from there": a scratch directory that shows
            // the repository's clients/ stands in for it, so the commands run exactly as written.
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, fileName), code.Groups["body"].Value);
            Directory.CreateSymbolicLink(link, Path.Combine(RepositoryRoot, "clients"));
            IReadOnlyList<string> lastOutput = [];
            foreach (var command in commands.Groups["body"].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                var start = new ProcessStartInfo("bash") { WorkingDirectory = directory.FullName };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(command);
                await using var process = ChildProcess.Start(start, $"'{command}'", outputLabel: "readme");
                var exitCode = await process.WaitForExitAsync(Timeout);
                output.WriteLine($"$ {command}{process.Describe()}");
                Assert.True(exitCode == 0, $"'{command}' exited with {exitCode}{process.Describe()}");
                lastOutput = process.StdoutLines;
            }

            Assert.Equal(["hello"], lastOutput);
            Assert.Equal("hello"u8.ToArray(), Assert.Single(server.Handler.Messages));
        }
        finally
        {
            Directory.Delete(link);
            directory.Delete(recursive: true);
        }
    }

    [PythonClientFact]
    public async Task Example_program_sends_stdin_lines_prints_the_echoes_and_closes_with_everything_acknowledged()
    {
        await using var server = await StartEchoServerAsync(0);
        string[] lines = ["one", "twö ✓", "three"];
        var start = Program(Path.Combine(ClientDirectory, "example"), "--eof-delay", "500ms", $"127.0.0.1:{server.Port}");
        start.RedirectStandardInput = true;
        await using var example = ChildProcess.Start(start, "the Python example program", outputLabel: "python");
        foreach (var line in lines)
        {
            await example.Stdin.WriteLineAsync(line);
        }

        example.Stdin.Close();
        var exitCode = await example.WaitForExitAsync(Timeout);
        output.WriteLine(example.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{example.Describe()}");
        var events = Events(example);
        Assert.All(events, e => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("ts").GetString()!));
        Assert.Equal($"127.0.0.1:{server.Port}", events.First(e => Name(e) == "connected").GetProperty("endpoint").GetString());
        Assert.Equal(lines, events.Where(e => Name(e) == "message").Select(e => e.GetProperty("data").GetString()));
        var closed = events[^1];
        Assert.Equal("closed", Name(closed));
        Assert.Equal("closed", closed.GetProperty("reason").GetString());
        Assert.Equal(0, closed.GetProperty("unacknowledged").GetInt32());
        Assert.DoesNotContain(events, e => Name(e) is "error" or "disconnected");
    }

    [PythonClientFact]
    public async Task Example_program_refuses_an_unknown_option_with_one_error_line()
    {
        await using var example = ChildProcess.Start(Program(Path.Combine(ClientDirectory, "example"), "--bogus", "127.0.0.1:7447"), "the Python example program", outputLabel: "python");

        var exitCode = await example.WaitForExitAsync(Timeout);

        Assert.Equal(1, exitCode);
        Assert.Empty(example.StdoutLines);
        Assert.Contains("--bogus", Assert.Single(example.StderrLines), StringComparison.Ordinal);
    }

    [PythonClientFact]
    public async Task Reconnect_program_survives_a_server_restart_and_gets_every_echo()
    {
        var server = await StartEchoServerAsync(0);
        var port = server.Port;
        try
        {
            await using var program = ChildProcess.Start(Seed("reconnect_client.py", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "10"), "the Python reconnect program", outputLabel: "python");
            await program.WaitForLineAsync(OutputStream.Stdout, l => l == "Received: ping 2", Timeout);

            // The server goes away and comes back on the same port as a new process would: its sessions are gone.
            await server.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            server = await StartEchoServerAsync(port);

            var exitCode = await program.WaitForExitAsync(Timeout);
            output.WriteLine(program.Describe());
            Assert.True(exitCode == 0, $"exit code {exitCode}{program.Describe()}");
            Assert.Equal("all 10 echoes matched", program.StdoutLines[^1]);
            Assert.Equal(10, program.StdoutLines.Count(l => l.StartsWith("Received: ping ", StringComparison.Ordinal)));
            Assert.Contains("event: reconnecting", program.StdoutLines);
            Assert.Equal(2, program.StdoutLines.Count(l => l == "event: connected"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [PythonClientFact]
    public async Task Heartbeat_program_measures_rtt_while_idle_and_stays_connected()
    {
        await using var server = await StartEchoServerAsync(0);
        await using var program = ChildProcess.Start(Seed("heartbeat_client.py", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture), "4"), "the Python heartbeat program", outputLabel: "python");

        var exitCode = await program.WaitForExitAsync(Timeout);
        output.WriteLine(program.Describe());

        Assert.True(exitCode == 0, $"exit code {exitCode}{program.Describe()}");
        Assert.Equal("Received: heartbeat", program.StdoutLines[0]);
        Assert.Contains(program.StdoutLines, l => RttLine().IsMatch(l));
        Assert.Equal("still connected after 4 s", program.StdoutLines[^1]);
    }

    [PythonClientFact]
    public async Task Heartbeat_program_declares_a_black_holed_server_dead_after_the_timeout()
    {
        await using var server = await StartEchoServerAsync(0);
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.Port));
        await using var program = ChildProcess.Start(Seed("heartbeat_client.py", "127.0.0.1", proxy.EndPoint.Port.ToString(CultureInfo.InvariantCulture), "30"), "the Python heartbeat program", outputLabel: "python");
        await program.WaitForLineAsync(OutputStream.Stdout, l => l == "Received: heartbeat", Timeout);
        var blackHoled = Stopwatch.StartNew();
        proxy.BlackHole();

        var exitCode = await program.WaitForExitAsync(Timeout);
        output.WriteLine(program.Describe());

        // Timeout 3 s after the last frame received: the program started its clock earlier, so it reports at least that.
        Assert.True(exitCode == 1, $"exit code {exitCode}{program.Describe()}");
        var dead = Assert.Single(program.StdoutLines, l => l.StartsWith("server declared dead after ", StringComparison.Ordinal));
        Assert.EndsWith("(heartbeat-timeout)", dead, StringComparison.Ordinal);
        Assert.InRange(blackHoled.Elapsed.TotalSeconds, 1.5, 15);
    }

    private static async Task<PortEchoServer> StartEchoServerAsync(int port)
    {
        var options = new TetherServerOptions { ServerId = "python-client-test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        var handler = new EchoHandler();
        var server = new TetherServer(options, handler);
        await server.StartAsync();
        return new PortEchoServer(server, handler);
    }

    private static ProcessStartInfo Program(string path, params string[] args)
    {
        var start = new ProcessStartInfo(path);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static ProcessStartInfo Seed(string script, params string[] args)
    {
        var start = Program("python3", [InteropFiles.InRepository("library", "python", script), .. args]);
        start.Environment["PYTHONPATH"] = Path.Combine(ClientDirectory, "src");
        start.Environment["PYTHONUNBUFFERED"] = "1";
        return start;
    }

    private static List<JsonElement> Events(ChildProcess process) =>
        [.. process.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string? Name(JsonElement e) => e.GetProperty("event").GetString();

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"[Ss]ave (?:this|it) as `([\w.]+\.py)`[^\n]*\n*$")]
    private static partial Regex SaveAs();

    [GeneratedRegex(@"^rtt \d+\.\d{3} ms$")]
    private static partial Regex RttLine();

    /// <summary>An in-process echo server on a chosen port (0 = any), so that a restart can reuse the port.</summary>
    private sealed class PortEchoServer(TetherServer server, EchoHandler handler) : IAsyncDisposable
    {
        public EchoHandler Handler => handler;

        public int Port => server.LocalEndPoints[0].Port;

        public async ValueTask DisposeAsync() => await server.DisposeAsync();
    }
}
