using System.Net;
using Tether.Framing;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

public sealed class ListenerOptionsTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void A_probe_interval_not_shorter_than_the_idle_timeout_is_refused_with_both_values()
    {
        var options = new TetherServerOptions();
        var listener = options.Listen(Loopback, new LineFraming());
        listener.Probe = "PING"u8.ToArray();
        listener.IdleTimeout = TimeSpan.FromSeconds(10);
        listener.ProbeInterval = TimeSpan.FromSeconds(10);

        var error = Assert.Throws<ArgumentException>(() => new TetherServer(options, new RecordingHandler()));

        Assert.Equal("listener lines@127.0.0.1:0: ProbeInterval (10 s) must be shorter than IdleTimeout (10 s), or peers are dropped before they are probed", error.Message);
    }

    [Fact]
    public void A_probe_defaults_to_the_heartbeat_interval_which_must_be_shorter_than_the_idle_timeout_given()
    {
        var options = new TetherServerOptions();
        options.Heartbeat.Interval = TimeSpan.FromSeconds(30);
        var listener = options.Listen(Loopback, new LineFraming());
        listener.Probe = "PING"u8.ToArray();
        listener.IdleTimeout = TimeSpan.FromSeconds(20);

        var error = Assert.Throws<ArgumentException>(() => new TetherServer(options, new RecordingHandler()));

        Assert.Contains("ProbeInterval (30 s, from Heartbeat.Interval) must be shorter than IdleTimeout (20 s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_settings_on_a_tether_listener_are_refused()
    {
        var options = new TetherServerOptions();
        options.Listen(Loopback).IdleTimeout = TimeSpan.FromSeconds(5);

        var error = Assert.Throws<ArgumentException>(() => new TetherServer(options, new RecordingHandler()));

        Assert.Contains("plain framings only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ping_without_a_pong_is_refused()
    {
        var options = new TetherServerOptions();
        options.Listen(Loopback, RawFraming.Instance).PingMessage = "PING"u8.ToArray();

        var error = Assert.Throws<ArgumentException>(() => new TetherServer(options, new RecordingHandler()));

        Assert.Contains("needs a pong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tether_protocol_is_the_default_framing()
    {
        var listener = new ListenerOptions(Loopback);

        Assert.Null(listener.Framing);
        Assert.Equal("tether", listener.FramingName);
        Assert.Equal("lines@127.0.0.1:0", new ListenerOptions(Loopback, new LineFraming()).ToString());
    }
}
