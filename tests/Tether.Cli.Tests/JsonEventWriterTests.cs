using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Tether.Cli.Output;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cli.Tests;

public sealed class JsonEventWriterTests : IDisposable
{
    private readonly MemoryStream _output = new();
    private readonly StringWriter _errors = new();
    private readonly JsonEventWriter _writer;

    public JsonEventWriterTests()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 4, 5, 6, 7, 89, TimeSpan.FromHours(2)));
        _writer = new JsonEventWriter(_output, _errors, time);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _output.Dispose();
        _errors.Dispose();
    }

    [Fact]
    public void Connected_has_event_ts_and_endpoint()
    {
        _writer.Connected(new IPEndPoint(IPAddress.Loopback, 7447));
        Assert.Equal("""{"event":"connected","ts":"2025-03-04T03:06:07.089Z","endpoint":"127.0.0.1:7447"}""" + "\n", Text());
    }

    [Fact]
    public void Dns_endpoints_are_written_as_host_and_port()
    {
        _writer.Connected(new DnsEndPoint("example.com", 80));
        Assert.Equal("example.com:80", Single()["endpoint"].GetString());
    }

    [Fact]
    public void Disconnected_has_reason_code_and_description()
    {
        _writer.Disconnected(new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, "nothing received for 75 s"));
        var e = Single();
        Assert.Equal("disconnected", e["event"].GetString());
        Assert.Equal("heartbeat-timeout", e["reason"].GetString());
        Assert.Equal(1006, e["code"].GetInt32());
        Assert.Equal("nothing received for 75 s", e["description"].GetString());
    }

    [Fact]
    public void Disconnected_without_a_close_code_has_a_null_code()
    {
        _writer.Disconnected(new DisconnectInfo(DisconnectReason.ConnectionLost, null, "connection reset"));
        var e = Single();
        Assert.Equal("connection-lost", e["reason"].GetString());
        Assert.Equal(JsonValueKind.Null, e["code"].ValueKind);
    }

    [Fact]
    public void Reconnecting_has_attempt_and_delay_in_milliseconds()
    {
        _writer.Reconnecting(3, TimeSpan.FromMilliseconds(1234.6), null, new TetherException("cannot connect to x:1: connection refused"));
        var e = Single();
        Assert.Equal("reconnecting", e["event"].GetString());
        Assert.Equal(3, e["attempt"].GetInt32());
        Assert.Equal(1235, e["delayMs"].GetInt64());
        Assert.Equal("cannot connect to x:1: connection refused", e["lastError"].GetString());
    }

    [Fact]
    public void Rtt_is_a_number_of_milliseconds()
    {
        _writer.RoundTripTime(TimeSpan.FromTicks(4_123));
        var e = Single();
        Assert.Equal("rtt", e["event"].GetString());
        Assert.Equal(JsonValueKind.Number, e["rttMs"].ValueKind);
        Assert.Equal(0.412, e["rttMs"].GetDouble());
    }

    [Fact]
    public void Resumed_has_session_id_server_last_received_and_resent()
    {
        _writer.SessionResumed(new SessionId(0x0123456789abcdef, 0xfedcba9876543210), 17, 3);
        Assert.Equal(
            """{"event":"resumed","ts":"2025-03-04T03:06:07.089Z","sessionId":"0123456789abcdeffedcba9876543210","serverLastReceived":17,"resent":3}""" + "\n",
            Text());
    }

    [Fact]
    public void Session_lost_has_reason_counts_and_description()
    {
        _writer.SessionLost(new SessionLostInfo
        {
            SessionId = new SessionId(1, 2),
            Reason = SessionLostReason.Expired,
            UnacknowledgedSent = 4,
            PeerReportedLost = 5,
            Description = "the server did not resume session 00000000000000010000000000000002: Expired",
        });
        var e = Single();
        Assert.Equal("session-lost", e["event"].GetString());
        Assert.Equal("00000000000000010000000000000002", e["sessionId"].GetString());
        Assert.Equal("expired", e["reason"].GetString());
        Assert.Equal(4, e["unacknowledgedSent"].GetInt64());
        Assert.Equal(5, e["serverReportedLost"].GetInt64());
        Assert.Equal("the server did not resume session 00000000000000010000000000000002: Expired", e["description"].GetString());
        Assert.Empty(_errors.ToString());
    }

    [Fact]
    public void Session_lost_with_an_unknown_server_count_has_null()
    {
        _writer.SessionLost(new SessionLostInfo { SessionId = new SessionId(1, 2), Reason = SessionLostReason.Unknown });
        var e = Single();
        Assert.Equal("unknown", e["reason"].GetString());
        Assert.Equal(0, e["unacknowledgedSent"].GetInt64());
        Assert.Equal(JsonValueKind.Null, e["serverReportedLost"].ValueKind);
        Assert.Equal(string.Empty, e["description"].GetString());
    }

    [Theory]
    [InlineData(SessionLostReason.Unknown, "unknown")]
    [InlineData(SessionLostReason.Expired, "expired")]
    [InlineData(SessionLostReason.Overflow, "overflow")]
    [InlineData(SessionLostReason.Gap, "gap")]
    [InlineData(SessionLostReason.NotGranted, "not-granted")]
    [InlineData(SessionLostReason.Superseded, "superseded")]
    public void Session_lost_reasons_are_kebab_case(SessionLostReason reason, string expected)
    {
        _writer.SessionLost(new SessionLostInfo { SessionId = new SessionId(1, 2), Reason = reason });
        Assert.Equal(expected, Single()["reason"].GetString());
    }

    [Fact]
    public void Text_message_has_data_only()
    {
        _writer.Message("héllo \"wörld\"\n"u8);
        var e = Single();
        Assert.Equal("message", e["event"].GetString());
        Assert.Equal("héllo \"wörld\"\n", e["data"].GetString());
        Assert.False(e.ContainsKey("hex"));
        // One event, one line: the newline inside the data is escaped.
        Assert.Single(Text().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Binary_message_has_hex_as_well()
    {
        _writer.Message([0x61, 0xff, 0x00]);
        var e = Single();
        Assert.Equal("61ff00", e["hex"].GetString());
        Assert.Equal("a\uFFFD\0", e["data"].GetString());
    }

    [Fact]
    public void Closed_with_error_writes_error_then_closed_and_one_stderr_line()
    {
        _writer.Closed("gave-up", null, "cannot connect to 127.0.0.1:1: connection refused (gave up after 2 attempts)");
        var events = All();
        Assert.Equal(["error", "closed"], events.Select(e => e["event"].GetString()));
        Assert.Equal("cannot connect to 127.0.0.1:1: connection refused (gave up after 2 attempts)", events[0]["message"].GetString());
        Assert.Equal("gave-up", events[1]["reason"].GetString());
        Assert.Equal("tether: cannot connect to 127.0.0.1:1: connection refused (gave up after 2 attempts)" + Environment.NewLine, _errors.ToString());
    }

    [Fact]
    public void Graceful_close_writes_closed_only_and_nothing_on_stderr()
    {
        _writer.Closed("closed", null, null);
        var e = Single();
        Assert.Equal("closed", e["reason"].GetString());
        Assert.Equal(0, e["unacknowledged"].GetInt32());
        Assert.Empty(_errors.ToString());
    }

    [Fact]
    public void Close_with_unacknowledged_lines_counts_them_in_the_closed_event()
    {
        _writer.Closed("closed", null, "2 line(s) sent but never acknowledged by the server", 2);
        var events = All();
        Assert.Equal(["error", "closed"], events.Select(e => e["event"].GetString()));
        Assert.Equal(2, events[1]["unacknowledged"].GetInt32());
        Assert.Equal("tether: 2 line(s) sent but never acknowledged by the server" + Environment.NewLine, _errors.ToString());
    }

    [Fact]
    public void Error_event_has_message()
    {
        _writer.Error("not connected: the message was not sent");
        Assert.Equal("not connected: the message was not sent", Single()["message"].GetString());
        Assert.Empty(_errors.ToString());
    }

    [Fact]
    public void Concurrent_writers_never_interleave_lines()
    {
        const int Threads = 8;
        const int PerThread = 500;
        Parallel.For(0, Threads, t =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                if (i % 2 == 0)
                {
                    _writer.Message(Encoding.UTF8.GetBytes($"thread {t} message {i}"));
                }
                else
                {
                    _writer.RoundTripTime(TimeSpan.FromMilliseconds(i));
                }
            }
        });

        var events = All();
        Assert.Equal(Threads * PerThread, events.Count);
        Assert.Equal(Threads * PerThread / 2, events.Count(e => e["event"].GetString() == "message"));
    }

    [Fact]
    public void Every_line_is_flushed_as_it_is_written()
    {
        var output = new FlushCountingStream();
        using var writer = new JsonEventWriter(output, TextWriter.Null);
        writer.Connected(null);
        writer.RoundTripTime(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, output.Flushes);
        Assert.EndsWith("\n", Encoding.UTF8.GetString(output.ToArray()), StringComparison.Ordinal);
    }

    private string Text() => Encoding.UTF8.GetString(_output.ToArray());

    private List<Dictionary<string, JsonElement>> All() =>
        [.. Text().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var e = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["ts"].GetString());
            return e;
        })];

    private Dictionary<string, JsonElement> Single() => Assert.Single(All());

    private sealed class FlushCountingStream : MemoryStream
    {
        public int Flushes { get; private set; }

        public override void Flush()
        {
            Flushes++;
            base.Flush();
        }
    }
}
