using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Tether.FaultProxy;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// The soak runs heartbeats with a 3 s timeout and starts language runtimes: run it alone, after the parallel tests,
/// so that a busy machine does not add heartbeat timeouts of its own.
/// </summary>
[CollectionDefinition(nameof(ClientSoakCollection), DisableParallelization = true)]
public sealed class ClientSoakCollection;

/// <summary>
/// Every client program (the C# CLI and clients/LANGUAGE/example) against a real <c>tether serve</c> through a fault
/// proxy: numbered lines at a steady pace while the connection is reset, black-holed until a heartbeat timeout, cut
/// into 1-byte slices and delayed. Every line must come back exactly once and in order, each dropped connection must
/// be followed by a resume of the same session (on both sides), and the graceful close must leave nothing
/// unacknowledged.
/// </summary>
[Collection(nameof(ClientSoakCollection))]
public sealed class ClientSoakTests(ITestOutputHelper output)
{
    /// <summary>One line every 20 ms: 50 messages a second, thousands of frames in a run.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan OneWayDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The three ways a link dies silently: entirely, only towards the client, only towards the server.</summary>
    private static readonly FaultDirection[] BlackHoles = [FaultDirection.Both, FaultDirection.ServerToClient, FaultDirection.ClientToServer];

    // One test per client, each skipped (with the reason) when its language's toolchain is missing, as the other
    // interop tests are; a missing example script is still a failure.
    [Fact]
    public Task The_csharp_client_passes() => SoakAsync(ClientPrograms.CSharp);

    [PythonClientFact]
    public Task The_python_client_passes() => SoakAsync("python");

    [JavaClientFact]
    public Task The_java_client_passes() => SoakAsync("java");

    [CppClientFact]
    public Task The_cpp_client_passes() => SoakAsync("cpp");

    /// <summary>Every line comes back once and in order through resets, black holes, slices and delays.</summary>
    private async Task SoakAsync(string language)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var server = await ClientSoakServer.StartAsync("--heartbeat", "1s", "--timeout", "3s", "--drain", "1s");
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.Port));
        await using var client = ClientSoakClient.Start(language, [
            "--client-id", $"soak-{language}",
            "--heartbeat", "1s",
            "--timeout", "3s",
            "--backoff-base", "50ms",
            "--backoff-max", "500ms",
            "--connect-timeout", "5s",
            "--close-timeout", "10s",
            $"127.0.0.1:{proxy.EndPoint.Port}",
        ]);
        await client.WaitForEventAsync(["connected"], ClientSoakClient.StartTimeout);
        var started = stopwatch.Elapsed;

        await using var feeder = ClientSoakFeeder.Start(client.Stdin, Pace);
        var faults = new ClientSoakFaults(proxy, client, feeder, output);
        await faults.SteadyAsync("pass", p => p.Pass());
        foreach (var direction in BlackHoles)
        {
            await faults.ResetAsync();
            await faults.SteadyAsync("slice 1", p => p.Slice(1));
            await faults.ResetAsync();
            await faults.SteadyAsync($"delay {OneWayDelay.TotalMilliseconds} ms", p => p.Delay(OneWayDelay));
            await faults.ResetAsync();
            await faults.SteadyAsync("pass", p => p.Pass());
            await faults.BlackHoleAsync(direction);
            await faults.SteadyAsync("pass", p => p.Pass());
        }

        try
        {
            await feeder.StopAsync();
        }
        catch (IOException ex)
        {
            Assert.Fail($"the {language} client stopped reading its stdin ({ex.Message}){client.Describe()}");
        }

        client.Stdin.Close();
        var exitCode = await client.WaitForExitAsync();
        var serverLog = await server.StopAsync();

        var events = client.Events();
        var echoes = ClientSoakEchoCheck.Of([.. events.Where(e => ClientSoakClient.Name(e) == "message").Select(e => e.TryGetProperty("data", out var data) ? data.GetString() : null)], feeder.Written);
        var resumed = events.Where(e => ClientSoakClient.Name(e) == "resumed").ToList();
        var reconnects = events.Count(e => ClientSoakClient.Name(e) == "reconnecting");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{language}: {echoes}; {faults.Drops} connections dropped, {reconnects} reconnect attempts, {resumed.Count} resumes; started in {started.TotalSeconds:F1} s, soak {(stopwatch.Elapsed - started).TotalSeconds:F1} s"));

        Assert.True(echoes.Passed, $"the {language} client: {echoes}{client.Describe()}");
        Assert.True(exitCode == 0, $"the {language} client exited with {exitCode}, not 0{client.Describe()}");
        var closed = events[^1];
        Assert.True(ClientSoakClient.Name(closed) == "closed", $"the {language} client's last event is not closed: {closed}");
        Assert.True(closed.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String && reason.GetString() == "closed", $"the {language} client did not close by itself: {closed}");
        Assert.True(closed.TryGetProperty("unacknowledged", out var unacknowledged) && unacknowledged.ValueKind == JsonValueKind.Number && unacknowledged.GetInt32() == 0, $"the {language} client closed with messages unacknowledged (or without the count): {closed}");

        var lost = events.FirstOrDefault(e => ClientSoakClient.Name(e) == "session-lost");
        Assert.True(lost.ValueKind == JsonValueKind.Undefined, $"the {language} client lost its session although the server kept it: {lost}");
        Assert.True(faults.Resumes.GetValueOrDefault("reset") >= 1 && faults.Resumes.GetValueOrDefault("black hole") >= 1, $"resumes per fault: {string.Join(", ", faults.Resumes)}");
        Assert.True(resumed.Count >= faults.Drops, $"the {language} client resumed {resumed.Count} times after {faults.Drops} dropped connections");
        var sessionIds = resumed.Select(e => e.GetProperty("sessionId").GetString()!).Distinct().ToList();
        var sessionId = Assert.Single(sessionIds);
        Assert.Matches("^[0-9a-f]{32}$", sessionId);
        AssertServerResumed(serverLog, sessionId, resumed.Count);
    }

    /// <summary>The server's log: one session, resumed at least as often as the client saw it, and never lost.</summary>
    private static void AssertServerResumed(IReadOnlyList<string> log, string sessionId, int clientResumes)
    {
        var resumes = log.Where(line => line.Contains(" resumed session ", StringComparison.Ordinal)).ToList();
        var lost = log.Where(line => line.Contains("which is lost", StringComparison.Ordinal)).ToList();
        Assert.True(lost.Count == 0, $"the server lost a session: {string.Join(Environment.NewLine, lost)}");
        Assert.All(resumes, line => Assert.Contains($" resumed session {sessionId} ", line, StringComparison.Ordinal));
        Assert.True(resumes.Count >= clientResumes, $"the server logged {resumes.Count} resumes, the client {clientResumes}:{Environment.NewLine}{string.Join(Environment.NewLine, log)}");
    }

    /// <summary>Pins the check's verdicts, so that the soak's cannot be vacuous.</summary>
    [Fact]
    public void The_echo_check_names_the_first_lost_duplicated_or_reordered_line()
    {
        static string?[] Lines(params int[] numbers) => [.. numbers.Select(ClientSoakLines.Text)];

        Assert.True(ClientSoakEchoCheck.Of(Lines(1, 2, 3), 3).Passed);
        Assert.Equal("line 3 was never echoed (lost)", ClientSoakEchoCheck.Of(Lines(1, 2), 3).FirstProblem);
        Assert.Equal("line 2 was never echoed (lost, and 2 more from line 4 on)", ClientSoakEchoCheck.Of(Lines(1, 3), 5).FirstProblem);
        Assert.Equal("line 2 was echoed twice (echo #2 and echo #3)", ClientSoakEchoCheck.Of(Lines(1, 2, 2, 3), 3).FirstProblem);
        Assert.Equal("line 2 was echoed after line 3 (echo #3)", ClientSoakEchoCheck.Of(Lines(1, 3, 2), 3).FirstProblem);
        Assert.Equal("echo #2 is not one of the lines sent: \"soak 9\"", ClientSoakEchoCheck.Of(Lines(1, 9), 1).FirstProblem);
        var mixed = ClientSoakEchoCheck.Of([.. Lines(1, 3, 3), "hello", .. Lines(2)], 4);
        Assert.Equal((1, 1, 1, 1), (mixed.Lost, mixed.Duplicated, mixed.Reordered, mixed.Foreign));
        Assert.Equal("line 2 was echoed after line 3 (echo #5)", mixed.FirstProblem);
    }
}
