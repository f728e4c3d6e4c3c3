using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using Tether.Hostile;
using Tether.Hostile.Reporting;
using Tether.Protocol;

namespace Tether.Cli.Tests;

/// <summary>
/// Issue 6's flood test: a real <c>tether serve --app echo</c> takes a hostile mix of about two thousand connections
/// (garbage, slowloris stallers, oversized frames, first frames that are not HELLO, open-and-close churn, clients
/// flooding DATA past the message rate) while well-behaved clients keep exchanging
/// numbered messages, all within about 15 s; then the report must show no loss, no disconnect, every bad peer closed
/// with its documented code, and the server's memory within its bound.
/// </summary>
public sealed class HostileMixTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private readonly string _portFile = Path.Combine(Path.GetTempPath(), $"tether-hostile-test-{Guid.NewGuid():N}.port");

    public void Dispose() => File.Delete(_portFile);

    [Fact]
    public async Task Under_a_hostile_flood_good_clients_lose_nothing_and_every_bad_peer_is_closed_with_its_code()
    {
        await using var server = CliProcess.Start(
            "serve", "--app", "echo", "--listen", "127.0.0.1:0", "--port-file", _portFile,
            "--handshake-timeout", "1s", "--max-message-rate", "5000", "--log-level", "warning");
        await server.WaitForStderrAsync(line => line.StartsWith("tether: listening on", StringComparison.Ordinal));
        var port = int.Parse(File.ReadAllLines(_portFile)[0], CultureInfo.InvariantCulture);
        var settings = new HostileSettings
        {
            Target = new IPEndPoint(IPAddress.Loopback, port),
            ServerPid = server.Id,
            Duration = TimeSpan.FromSeconds(7),
            HandshakeTimeout = TimeSpan.FromSeconds(1),
            Good = 20,
            Garbage = 500,
            Stallers = 300,
            Oversized = 100,
            Truncated = 100,
            Churners = 4,
            Flooders = 5,
        };

        using var timeout = new CancellationTokenSource(RunTimeout);
        var report = await new HostileMix(settings).RunAsync(timeout.Token);

        var text = Describe(report) + server.Describe();
        Assert.True(report.Passed, text);
        Assert.All(report.Kinds.Where(k => k.ExpectsClose), k => Assert.Equal(k.Peers, k.ClosedAsExpected));
        Assert.Equal(0, report.Good.Counts.Lost);
        Assert.Equal(0, report.Good.Counts.Duplicated);
        Assert.Equal(0, report.Good.Disconnects);
        Assert.True(report.Good.Counts.Sent > 1000, text);
        Assert.Equal(report.Good.Counts.Sent, report.Good.Counts.Echoed);
        Assert.Equal(300, report.Kinds.Single(k => k.Name == "stallers").Expected[CloseCode.HandshakeTimeout]);
        Assert.Equal(100, report.Kinds.Single(k => k.Name == "oversized").Expected[CloseCode.FrameTooLarge]);
        Assert.Equal(100, report.Kinds.Single(k => k.Name == "truncated").Expected[CloseCode.ProtocolError]);
        Assert.Equal(5, report.Kinds.Single(k => k.Name == "flooders").Expected[CloseCode.RateLimited]);
        var churn = report.Kinds.Single(k => k.Name == "churners");
        Assert.True(churn.Attempts >= 500, text);
        Assert.True(report.Rss.Peak <= report.Rss.Bound && report.Rss.Final <= report.Rss.Bound, text);

        // Every hostile socket is closed by the time the report is in: none is left for the server to hold.
        Assert.DoesNotContain(
            IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections(),
            c => c.RemoteEndPoint.Port == port && c.State is TcpState.Established or TcpState.SynSent);
    }

    private static string Describe(HostileReport report)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        TableWriter.Write(writer, report);
        return writer.ToString();
    }
}
