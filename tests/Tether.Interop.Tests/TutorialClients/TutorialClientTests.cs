using System.Diagnostics;
using System.Globalization;
using Tether.TestSupport;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.TutorialClients;

/// <summary>
/// Plain socket programs written the way tutorials write them (tests/interop/tutorial: blocking sockets, no Tether
/// knowledge) against a server with a <c>raw</c> listener and a 2 s idle timeout. Each language's test class runs the
/// same four scenarios through its <see cref="ITutorialPrograms"/>.
/// </summary>
public abstract class TutorialClientTests(ITutorialPrograms programs, ITestOutputHelper output)
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The echo client sends "Hello, world!" and prints exactly that back.</summary>
    protected async Task RunEchoScenarioAsync()
    {
        await using var server = await PlainEchoServer.StartAsync(IdleTimeout);

        var run = await RunAsync(TutorialProgram.Echo, server.Port);

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}{run.Output}");
        Assert.Equal(["Received: Hello, world!"], run.Stdout);
        await server.Handler.WaitForDisconnectsAsync(1, TutorialTools.Timeout);
        Assert.Equal(["Hello, world!"], server.Handler.ReceivedPerConnection());
    }

    /// <summary>A message every second, for 6 s, keeps the connection alive through a 2 s idle timeout.</summary>
    protected async Task RunHeartbeatScenarioAsync()
    {
        await using var server = await PlainEchoServer.StartAsync(IdleTimeout);

        var run = await RunAsync(TutorialProgram.Heartbeat, server.Port, "6");

        // One heartbeat at once, then one a second: the seventh echo arrived 6 s in, three idle timeouts later.
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}{run.Output}");
        Assert.Equal(7, run.Stdout.Count(l => l == "Received: heartbeat"));
        Assert.Equal("still connected after 6 s", run.Stdout[^1]);
        Assert.Equal(1, server.Handler.Connected);
        var ended = Assert.Single(await server.Handler.WaitForDisconnectsAsync(1, TutorialTools.Timeout));
        Assert.NotEqual(DisconnectReason.HeartbeatTimeout, ended.Reason);
        Assert.Equal([string.Concat(Enumerable.Repeat("heartbeat", 7))], server.Handler.ReceivedPerConnection());
    }

    /// <summary>A client that goes silent after one exchange is closed by the server after about the idle timeout.</summary>
    protected async Task RunSilentScenarioAsync()
    {
        const string closedPrefix = "closed by server after ";
        await using var server = await PlainEchoServer.StartAsync(IdleTimeout);

        // The client gives up (exit 1) after 20 s without a close: well before the 60 s wait for its exit.
        var run = await RunAsync(TutorialProgram.Silent, server.Port, "20");

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}{run.Output}");
        Assert.Equal("Received: Hello", run.Stdout[0]);
        var closed = Assert.Single(run.Stdout, l => l.StartsWith(closedPrefix, StringComparison.Ordinal));

        // Java's printf follows the default locale, which may write a decimal comma.
        var seconds = double.Parse(closed[closedPrefix.Length..].Replace(" s", string.Empty, StringComparison.Ordinal).Replace(',', '.'), CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1.0, 15.0);
        var ended = Assert.Single(await server.Handler.WaitForDisconnectsAsync(1, TutorialTools.Timeout));
        Assert.Equal(DisconnectReason.HeartbeatTimeout, ended.Reason);
    }

    /// <summary>Five short connections in a row, one "ping i" each, all echoed.</summary>
    protected async Task RunReconnectScenarioAsync()
    {
        await using var server = await PlainEchoServer.StartAsync(IdleTimeout);

        var run = await RunAsync(TutorialProgram.Reconnect, server.Port, "5");

        string[] pings = ["ping 1", "ping 2", "ping 3", "ping 4", "ping 5"];
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}{run.Output}");
        Assert.Equal([.. pings.Select(p => "Received: " + p), "all 5 echoes matched"], run.Stdout);
        Assert.Equal(5, server.Handler.Connected);
        var ended = await server.Handler.WaitForDisconnectsAsync(5, TutorialTools.Timeout);
        Assert.DoesNotContain(ended, e => e.Reason == DisconnectReason.HeartbeatTimeout);
        Assert.Equal(pings, server.Handler.ReceivedPerConnection());
    }

    /// <summary>Runs <paramref name="program"/> against 127.0.0.1:<paramref name="port"/> to its exit; killed on a timeout.</summary>
    private async Task<ProgramRun> RunAsync(TutorialProgram program, int port, params string[] args)
    {
        var start = programs.StartInfo(program, ["127.0.0.1", port.ToString(CultureInfo.InvariantCulture), .. args]);
        var stopwatch = Stopwatch.StartNew();
        await using var process = ChildProcess.Start(start, $"the {programs.Language} {program} client", outputLabel: programs.Language);
        var exitCode = await process.WaitForExitAsync(TutorialTools.Timeout);

        output.WriteLine($"{programs.Language} {program} client: exit code {exitCode} after {stopwatch.Elapsed.TotalSeconds:F1} s");
        foreach (var line in process.StdoutLines)
        {
            output.WriteLine(line);
        }

        foreach (var line in process.StderrLines)
        {
            output.WriteLine("stderr: " + line);
        }

        return new ProgramRun(exitCode, process.StdoutLines, process.Describe());
    }

    private sealed record ProgramRun(int ExitCode, IReadOnlyList<string> Stdout, string Output);
}

public sealed class PythonTutorialClientTests(ITestOutputHelper output) : TutorialClientTests(new PythonTutorialPrograms(), output)
{
    [PythonTutorialFact]
    public Task Echo_client_prints_the_echo() => RunEchoScenarioAsync();

    [PythonTutorialFact]
    public Task Heartbeat_client_stays_connected_through_the_idle_timeout() => RunHeartbeatScenarioAsync();

    [PythonTutorialFact]
    public Task Silent_client_is_closed_after_the_idle_timeout() => RunSilentScenarioAsync();

    [PythonTutorialFact]
    public Task Reconnect_loop_gets_every_echo() => RunReconnectScenarioAsync();
}

public sealed class JavaTutorialClientTests(JavaTutorialPrograms programs, ITestOutputHelper output)
    : TutorialClientTests(programs, output), IClassFixture<JavaTutorialPrograms>
{
    [JavaTutorialFact]
    public Task Echo_client_prints_the_echo() => RunEchoScenarioAsync();

    [JavaTutorialFact]
    public Task Heartbeat_client_stays_connected_through_the_idle_timeout() => RunHeartbeatScenarioAsync();

    [JavaTutorialFact]
    public Task Silent_client_is_closed_after_the_idle_timeout() => RunSilentScenarioAsync();

    [JavaTutorialFact]
    public Task Reconnect_loop_gets_every_echo() => RunReconnectScenarioAsync();
}

public sealed class CppTutorialClientTests(CppTutorialPrograms programs, ITestOutputHelper output)
    : TutorialClientTests(programs, output), IClassFixture<CppTutorialPrograms>
{
    [CppTutorialFact]
    public Task Echo_client_prints_the_echo() => RunEchoScenarioAsync();

    [CppTutorialFact]
    public Task Heartbeat_client_stays_connected_through_the_idle_timeout() => RunHeartbeatScenarioAsync();

    [CppTutorialFact]
    public Task Silent_client_is_closed_after_the_idle_timeout() => RunSilentScenarioAsync();

    [CppTutorialFact]
    public Task Reconnect_loop_gets_every_echo() => RunReconnectScenarioAsync();
}
