using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// Timers count whole milliseconds and may fire a fraction of one early; a reconnect delay (which may be a server's
/// retry-after) must still be waited in full.
/// </summary>
public class EarlyTimerTests
{
    [Fact]
    public async Task A_reconnect_waits_its_whole_delay_even_when_timers_fire_early()
    {
        var fake = new FakeTimeProvider();
        var time = new EarlyTimers(fake, TimeSpan.FromMilliseconds(50));
        var options = ClientFactory.Options(new IPEndPoint(IPAddress.Loopback, UnusedPort()));
        options.Reconnect.BaseDelay = TimeSpan.FromMilliseconds(200);
        options.Reconnect.MaxAttempts = 4;
        await using var client = new TetherClient(options, null, time);
        var states = new StateRecorder(client);

        // Attempts to a closed port: the first, then one after each of three reconnect delays, then the client gives up. Each refusal is immediate;
        // then fake time moves through the announced delay in steps smaller than the timers' earliness, so an attempt
        // made early is stamped early.
        var connecting = client.ConnectAsync();
        for (var failed = 1; failed <= 3; failed++)
        {
            await states.WaitForAsync(ClientState.Reconnecting, failed);
            var delay = states.Events.Where(e => e.Current == ClientState.Reconnecting).ElementAt(failed - 1).Delay;
            for (var elapsed = TimeSpan.Zero; elapsed <= delay; elapsed += TimeSpan.FromMilliseconds(10))
            {
                fake.Advance(TimeSpan.FromMilliseconds(10));
            }
        }

        await Assert.ThrowsAsync<TetherException>(() => connecting.WaitAsync(Timeouts.Event));

        var events = states.Events.Where(e => e.Current == ClientState.Reconnecting).ToArray();
        Assert.Equal(3, events.Length);
        for (var i = 1; i < events.Length; i++)
        {
            var waited = events[i].Timestamp - events[i - 1].Timestamp;
            Assert.True(waited >= events[i - 1].Delay, $"attempt {i + 1} came after {waited.TotalMilliseconds} ms, short of the {events[i - 1].Delay.TotalMilliseconds} ms announced");
        }
    }

    private static int UnusedPort()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A clock whose one-shot timers fire <c>early</c> before they are due, as real timers may.</summary>
    private sealed class EarlyTimers(FakeTimeProvider inner, TimeSpan early) : TimeProvider
    {
        public override long TimestampFrequency => inner.TimestampFrequency;

        public override long GetTimestamp() => inner.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime > early ? dueTime - early : dueTime, period);
    }
}
