using System.Net;
using Tether.Framing;
using Tether.Server;

namespace Tether.Tests.Server;

/// <summary>The server's timing wheel ticks finer where a heartbeat timeout or a plain listener's deadlines need it.</summary>
public sealed class WheelTickPolicyTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void Default_settings_keep_the_configured_tick()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), new TetherServerOptions().WheelTick());
    }

    [Fact]
    public void A_short_heartbeat_timeout_gets_a_tenth_of_it()
    {
        var options = new TetherServerOptions();
        options.Heartbeat.Interval = TimeSpan.FromMilliseconds(200);
        options.Heartbeat.Timeout = TimeSpan.FromMilliseconds(500);

        Assert.Equal(TimeSpan.FromMilliseconds(50), options.WheelTick());
    }

    [Fact]
    public void Short_plain_timeouts_and_probes_get_a_finer_tick()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), Tick(l => l.IdleTimeout = TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromMilliseconds(75), Tick(l =>
        {
            l.Probe = "PING"u8.ToArray();
            l.ProbeInterval = TimeSpan.FromMilliseconds(300);
            l.IdleTimeout = TimeSpan.FromSeconds(5);
        }));
    }

    [Fact]
    public void The_policy_goes_no_finer_than_10_ms_but_a_finer_configured_tick_stays()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(10), Tick(l => l.IdleTimeout = TimeSpan.FromMilliseconds(20)));

        var options = new TetherServerOptions();
        options.Heartbeat.TickInterval = TimeSpan.FromMilliseconds(5);
        options.Listen(Loopback, RawFraming.Instance).IdleTimeout = TimeSpan.FromMilliseconds(20);
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.WheelTick());
    }

    [Fact]
    public void A_probe_the_listener_does_not_send_needs_no_fine_tick()
    {
        var options = new TetherServerOptions();
        options.Heartbeat.Interval = TimeSpan.FromMilliseconds(100);
        options.Heartbeat.MinInterval = TimeSpan.FromMilliseconds(100);
        options.Heartbeat.Timeout = TimeSpan.FromHours(1);
        options.Heartbeat.MaxTimeout = TimeSpan.FromHours(1);
        options.Listen(Loopback, new LineFraming()).IdleTimeout = TimeSpan.FromHours(1);

        Assert.Equal(TimeSpan.FromMilliseconds(250), options.WheelTick());
    }

    [Fact]
    public void Tether_protocol_listeners_keep_the_heartbeat_tick()
    {
        var options = new TetherServerOptions();
        options.Listen(Loopback);
        options.Listen(Loopback, new LineFraming());

        Assert.Equal(TimeSpan.FromMilliseconds(250), options.WheelTick());
    }

    [Fact]
    public async Task The_server_runs_its_wheel_at_that_tick()
    {
        var options = new TetherServerOptions();
        options.Listen(Loopback, new LineFraming()).IdleTimeout = TimeSpan.FromSeconds(1);

        await using var server = new TetherServer(options, new Support.RecordingHandler());

        Assert.Equal(TimeSpan.FromMilliseconds(100), server.Wheel.Tick);
    }

    private static TimeSpan Tick(Action<ListenerOptions> configure)
    {
        var options = new TetherServerOptions();
        configure(options.Listen(Loopback, new LineFraming()));
        return options.WheelTick();
    }
}
