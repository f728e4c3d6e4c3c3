using Microsoft.Extensions.Time.Testing;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>
/// The lame-duck drain of a graceful stop on a fake clock: readiness turns false before any GOAWAY, GOAWAYs leave in
/// batches over the spread, and cancelling the stop (a second signal) ends the spread and the drain at once.
/// </summary>
public sealed class DrainTests
{
    [Fact]
    public async Task Draining_is_signalled_before_the_first_goaway_reaches_a_client()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.ShutdownDrainTimeout = TimeSpan.FromSeconds(5), time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;
        await server.Handler.NextConnectedAsync();
        var goAway = NextGoAwayAsync(peer);
        bool? goAwayArrivedWhenSignalled = null;
        using var registration = server.Server.Draining.Register(() => goAwayArrivedWhenSignalled = goAway.IsCompleted);
        Assert.False(server.Server.IsDraining);

        var stop = server.Server.StopAsync();

        Assert.True(server.Server.IsDraining);
        Assert.True(server.Server.Draining.IsCancellationRequested);
        Assert.False(goAwayArrivedWhenSignalled);
        Assert.True(await goAway);
        await FinishStopAsync(time, stop, peer);
    }

    [Fact]
    public async Task The_lame_duck_delay_keeps_serving_before_the_first_goaway()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.LameDuckDelay = TimeSpan.FromSeconds(5), time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;
        await server.Handler.NextConnectedAsync();
        var goAway = NextGoAwayAsync(peer);

        var stop = server.Server.StopAsync();
        Assert.True(server.Server.IsDraining);

        // Still accepting and admitting during the delay: a load balancer may not have noticed yet.
        var (late, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = late;
        var lateGoAway = NextGoAwayAsync(late);

        // The WELCOME may reach the peer before the server has the connection in its registry, which the GOAWAYs go to.
        await server.Handler.NextConnectedAsync();
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(goAway.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await goAway);
        Assert.True(await lateGoAway);
        await FinishStopAsync(time, stop, peer, late);
    }

    [Fact]
    public async Task Goaways_leave_in_even_batches_over_the_spread()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o =>
            {
                o.ShutdownDrainTimeout = TimeSpan.FromSeconds(10);
                o.GoAwaySpread = TimeSpan.FromSeconds(4);
            },
            time);
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "none");
        var peers = await ConnectAsync(server, 4);
        try
        {
            var goAways = peers.Select(NextGoAwayAsync).ToArray();
            var stop = server.Server.StopAsync();

            // One batch a second: at 0, 1, 2 and 3 s. The clock only moves when the test moves it, so a GOAWAY that
            // has not arrived after the due ones did cannot be on its way.
            await WaitForGoAwaysAsync(goAways, 1);
            AssertGoAwayCount(goAways, 1);
            time.Advance(TimeSpan.FromMilliseconds(1500));
            await WaitForGoAwaysAsync(goAways, 2);
            AssertGoAwayCount(goAways, 2);
            time.Advance(TimeSpan.FromMilliseconds(1500));
            await WaitForGoAwaysAsync(goAways, 4);
            Assert.Equal(4, metrics.Sum("tether.goaway.sent"));
            Assert.False(stop.IsCompleted, "the peers ignore GOAWAY, so the drain runs on");
            await FinishStopAsync(time, stop, [.. peers]);
        }
        finally
        {
            await DisposeAllAsync(peers);
        }
    }

    [Fact]
    public async Task Cancelling_the_stop_sends_the_rest_of_the_goaways_and_ends_the_drain()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o =>
            {
                o.ShutdownDrainTimeout = TimeSpan.FromSeconds(60);
                o.GoAwaySpread = TimeSpan.FromSeconds(30);
            },
            time);
        var peers = await ConnectAsync(server, 3);
        try
        {
            var goAways = peers.Select(NextGoAwayAsync).ToArray();
            using var secondSignal = new CancellationTokenSource();
            var stop = server.Server.StopAsync(secondSignal.Token);
            await WaitForGoAwaysAsync(goAways, 1);
            AssertGoAwayCount(goAways, 1);

            await secondSignal.CancelAsync();

            await WaitForGoAwaysAsync(goAways, 3);
            foreach (var peer in peers)
            {
                var close = await peer.ReadUntilCloseAsync();
                Assert.Equal(CloseCode.GoingAway, close?.Code);
                await peer.DisposeAsync();
            }

            await stop.WaitAsync(Timeouts.Event);
        }
        finally
        {
            await DisposeAllAsync(peers);
        }
    }

    [Fact]
    public async Task Cancelling_the_stop_ends_the_lame_duck_delay()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.LameDuckDelay = TimeSpan.FromMinutes(1), time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;
        await server.Handler.NextConnectedAsync();
        var goAway = NextGoAwayAsync(peer);
        using var secondSignal = new CancellationTokenSource();

        var stop = server.Server.StopAsync(secondSignal.Token);
        Assert.False(goAway.IsCompleted);
        await secondSignal.CancelAsync();

        Assert.True(await goAway);
        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.GoingAway, close?.Code);
        await peer.DisposeAsync();
        await stop.WaitAsync(Timeouts.Event);
    }

    [Fact]
    public async Task Serving_is_true_from_start_through_the_drain_and_false_after_the_stop()
    {
        var time = new FakeTimeProvider();
        var options = new TetherServerOptions();
        options.EndPoints.Add(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        options.LameDuckDelay = TimeSpan.FromSeconds(1);
        await using var server = new TetherServer(options, new RecordingHandler(), null, time);
        Assert.False(server.IsServing);
        Assert.Null(server.IsScaleOutConnected);
        await server.StartAsync();
        Assert.True(server.IsServing);

        var stop = server.StopAsync();
        Assert.True(server.IsServing);
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(Timeouts.Event);
        Assert.False(server.IsServing);
    }

    [Theory]
    [InlineData(-1, 0, 0)]
    [InlineData(10, 11, 0)]
    [InlineData(10, -1, 0)]
    [InlineData(10, 5, -1)]
    public void Bad_drain_settings_are_refused_with_one_line(int drainSeconds, int spreadSeconds, int lameDuckSeconds)
    {
        var options = new TetherServerOptions
        {
            ShutdownDrainTimeout = TimeSpan.FromSeconds(drainSeconds),
            GoAwaySpread = TimeSpan.FromSeconds(spreadSeconds),
            LameDuckDelay = TimeSpan.FromSeconds(lameDuckSeconds),
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(0, 4000, 1)]
    [InlineData(1, 4000, 1)]
    [InlineData(4, 0, 1)]
    [InlineData(4, 4000, 4)]
    [InlineData(1000, 4000, 40)]
    [InlineData(1000, 50, 1)]
    public void Batches_are_one_per_client_at_most_and_never_closer_than_the_minimum_interval(int peers, int spreadMs, int expected) =>
        Assert.Equal(expected, DrainSettings.BatchCount(peers, TimeSpan.FromMilliseconds(spreadMs)));

    [Fact]
    public void Every_client_is_in_exactly_one_batch_and_the_batches_are_even()
    {
        const int peers = 1001;
        var batches = DrainSettings.BatchCount(peers, TimeSpan.FromSeconds(3));
        var previous = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            var sent = DrainSettings.SentAfterBatch(batch, batches, peers);
            Assert.InRange(sent - previous, peers / batches, (peers / batches) + 1);
            previous = sent;
        }

        Assert.Equal(peers, previous);
        Assert.Equal(TimeSpan.Zero, DrainSettings.BatchDue(0, batches, TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromMilliseconds(2900), DrainSettings.BatchDue(batches - 1, batches, TimeSpan.FromSeconds(3)));
    }

    /// <summary>True when the peer's next frames include GOAWAY, false if the connection ended first.</summary>
    private static async Task<bool> NextGoAwayAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReadFrameAsync();
            if (frame.Type == FrameType.GoAway)
            {
                return true;
            }

            if (frame.IsEndOfStream || frame.Type == FrameType.Close)
            {
                return false;
            }
        }
    }

    private static async Task<List<RawPeer>> ConnectAsync(ServerFixture server, int count)
    {
        var peers = new List<RawPeer>();
        for (var i = 0; i < count; i++)
        {
            var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
            peers.Add(peer);
            await server.Handler.NextConnectedAsync();
        }

        return peers;
    }

    private static async Task WaitForGoAwaysAsync(Task<bool>[] goAways, int count)
    {
        await Eventually.WaitUntilAsync(() => goAways.Count(t => t.IsCompleted) >= count);
        Assert.All(goAways.Where(t => t.IsCompleted), t => Assert.True(t.Result));
    }

    private static void AssertGoAwayCount(Task<bool>[] goAways, int expected) =>
        Assert.Equal(expected, goAways.Count(t => t.IsCompleted));

    /// <summary>Lets the drain run out on the fake clock and the peers go, then waits for the stop to finish.</summary>
    private static async Task FinishStopAsync(FakeTimeProvider time, Task stop, params RawPeer[] peers)
    {
        time.Advance(TimeSpan.FromSeconds(60));
        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }

        await stop.WaitAsync(Timeouts.Event);
    }

    private static async Task DisposeAllAsync(List<RawPeer> peers)
    {
        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }
    }
}
