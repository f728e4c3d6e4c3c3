using System.Diagnostics;
using System.Globalization;
using Tether.FaultProxy;
using Xunit.Abstractions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// Puts the fault proxy between a soak client and the server through one fault after another, each step paced by the
/// client's own events (echoes of lines written after the step began, disconnected, resumed), never by the clock.
/// Counts the resumes that followed each kind of fault that drops a connection.
/// </summary>
internal sealed class ClientSoakFaults(TcpFaultProxy proxy, ClientSoakClient client, ClientSoakFeeder feeder, ITestOutputHelper output)
{
    /// <summary>Fresh echoes awaited in each steady step: enough for many frames to cross the fault.</summary>
    private const int EchoesPerStep = 20;

    /// <summary>Fresh echoes awaited before a connection is dropped, to know that it is up and carrying messages.</summary>
    private const int EchoesBeforeDrop = 3;

    private static readonly string[] ResumeOrLoss = ["resumed", "session-lost", "closed"];

    private static readonly string[] DisconnectedOrClosed = ["disconnected", "closed"];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, int> _resumes = [];

    /// <summary>Resumes seen after each kind of fault that dropped the connection: "reset", "black hole".</summary>
    public IReadOnlyDictionary<string, int> Resumes => _resumes;

    /// <summary>Connections dropped by a fault (each reset and each black hole).</summary>
    public int Drops { get; private set; }

    /// <summary>Switches the proxy to <paramref name="fault"/> and waits for echoes to flow through it.</summary>
    public async Task SteadyAsync(string what, Action<TcpFaultProxy> fault)
    {
        fault(proxy);
        await WaitForFreshEchoesAsync(EchoesPerStep);
        Log($"{what}: {EchoesPerStep} echoes through it");
    }

    /// <summary>Resets the connection (RST both ways) in whatever mode the proxy is in, and waits for the resume.</summary>
    public async Task ResetAsync()
    {
        await WaitForFreshEchoesAsync(EchoesBeforeDrop);
        var reset = proxy.ResetAll();
        Assert.True(reset >= 1, $"the {client.Language} client had no connection through the proxy to reset{client.Describe()}");
        Drops++;
        Log($"reset {reset} connection(s)");
        await ExpectResumeAsync("reset");
    }

    /// <summary>
    /// Stops all traffic in <paramref name="direction"/> until the client reports the connection gone, then lets
    /// traffic through again and waits for the resume. Meanwhile new connections are refused, as by a dead network, so
    /// no attempt is held half-open until its connect timeout.
    /// </summary>
    /// <remarks>
    /// When nothing reaches the client, it must detect the dead server itself (heartbeat-timeout). When only the
    /// client's traffic is lost, the server detects it and sends CLOSE 1006 (heartbeat-timeout), which may arrive as a
    /// reset instead, since the server does not linger after a heartbeat timeout (connection-lost).
    /// </remarks>
    public async Task BlackHoleAsync(FaultDirection direction)
    {
        await WaitForFreshEchoesAsync(EchoesBeforeDrop);
        var started = _clock.Elapsed;
        proxy.RefuseNewConnections(true);
        proxy.BlackHole(direction);
        var ended = await client.WaitForEventAsync(DisconnectedOrClosed);
        Assert.True(ClientSoakClient.Name(ended) == "disconnected", $"the {client.Language} client ended during a black hole ({direction}) instead of reconnecting: {ended}{client.Describe()}");
        var reason = ended.GetProperty("reason").GetString();
        Assert.True(
            reason == "heartbeat-timeout" || (direction == FaultDirection.ClientToServer && reason == "connection-lost"),
            $"the {client.Language} client gave the wrong reason for a black hole ({direction}): {ended}");
        Drops++;
        Log($"black hole ({direction}): disconnected after {(_clock.Elapsed - started).TotalSeconds:F1} s: {ended}");
        proxy.Pass();
        proxy.RefuseNewConnections(false);
        await ExpectResumeAsync("black hole");
    }

    private async Task ExpectResumeAsync(string kind)
    {
        var next = await client.WaitForEventAsync(ResumeOrLoss);
        Assert.True(ClientSoakClient.Name(next) == "resumed", $"after a {kind} the {client.Language} client did not resume its session: {next}{client.Describe()}");
        _resumes[kind] = _resumes.GetValueOrDefault(kind) + 1;
        Log($"resumed after the {kind}: {next}");
    }

    /// <summary>Waits for the echo of a line written <paramref name="count"/> lines from now.</summary>
    private async Task WaitForFreshEchoesAsync(int count)
    {
        var target = feeder.Written + count;
        await client.WaitForEchoAsync(target);
    }

    private void Log(string text) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,6:F2} s  line {feeder.Written,5}  {text}"));
}
