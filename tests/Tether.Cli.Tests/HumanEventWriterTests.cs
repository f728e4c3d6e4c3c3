using System.Net;
using Tether.Cli.Output;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cli.Tests;

public sealed class HumanEventWriterTests : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _errors = new();
    private readonly HumanEventWriter _writer;

    public HumanEventWriterTests() => _writer = new HumanEventWriter(_output, _errors);

    public void Dispose()
    {
        _output.Dispose();
        _errors.Dispose();
    }

    [Fact]
    public void Messages_go_to_stdout_as_lines_and_binary_as_hex()
    {
        _writer.Message("hello"u8);
        _writer.Message([0xff, 0xfe]);
        Assert.Equal(["hello", "hex:fffe"], Lines(_output));
        Assert.Empty(_errors.ToString());
    }

    [Fact]
    public void Status_goes_to_stderr()
    {
        _writer.Connected(new IPEndPoint(IPAddress.Loopback, 7447));
        _writer.Disconnected(new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, "silent for 75 s"));
        _writer.Reconnecting(2, TimeSpan.FromMilliseconds(1500), new DnsEndPoint("example.com", 7447), null);
        _writer.RoundTripTime(TimeSpan.FromMilliseconds(0.25));
        Assert.Empty(_output.ToString());
        Assert.Equal(
            [
                "tether: connected to 127.0.0.1:7447",
                "tether: disconnected: heartbeat-timeout (1006 HEARTBEAT_TIMEOUT): silent for 75 s",
                "tether: reconnecting to example.com:7447: attempt 2 in 1500 ms",
                "tether: rtt 0.25 ms",
            ],
            Lines(_errors));
    }

    [Fact]
    public void Session_events_are_one_status_line_each()
    {
        _writer.SessionResumed(new SessionId(0, 1), 17, 3);
        _writer.SessionLost(new SessionLostInfo
        {
            SessionId = new SessionId(0, 2),
            Reason = SessionLostReason.Expired,
            UnacknowledgedSent = 4,
            PeerReportedLost = 5,
            Description = "detached too long",
        });
        _writer.SessionLost(new SessionLostInfo { SessionId = new SessionId(0, 3), Reason = SessionLostReason.NotGranted });
        Assert.Empty(_output.ToString());
        Assert.Equal(
            [
                "tether: session 00000000000000000000000000000001 resumed: the server had our messages up to #17, resending 3",
                "tether: session 00000000000000000000000000000002 lost (expired): 4 sent message(s) unacknowledged, the server reports 5 lost: detached too long",
                "tether: session 00000000000000000000000000000003 lost (not-granted): 0 sent message(s) unacknowledged, the server does not know how many it lost",
            ],
            Lines(_errors));
    }

    [Fact]
    public void A_failure_is_one_line()
    {
        _writer.Closed("gave-up", null, "cannot connect to 127.0.0.1:1: connection refused (gave up after 2 attempts)");
        Assert.Equal(["tether: cannot connect to 127.0.0.1:1: connection refused (gave up after 2 attempts)"], Lines(_errors));
    }

    private static string[] Lines(StringWriter writer) => writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
