using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>Token buckets: frames and bytes per connection, connection attempts per address.</summary>
public class RateLimitTests
{
    [Fact]
    public async Task A_connection_over_its_message_rate_is_closed_with_rate_limited_and_the_others_carry_on()
    {
        // Fake time stands still, so nothing refills: the burst is all a peer has.
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o => o.RateLimits = new RateLimitOptions { MessagesPerSecond = 100, MessageBurst = 50 },
            time,
            new RecordingHandler { Echo = false });
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        var (flooder, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _1 = flooder;
        var (neighbour, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _2 = neighbour;

        await flooder.SendAsync(w =>
        {
            for (var i = 0; i < 60; i++)
            {
                FrameWriter.WriteData(w, "flood"u8);
            }
        });

        var close = await flooder.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.RateLimited, close?.Code);
        Assert.Equal(1000u, close!.RetryAfterMs);
        Assert.Equal(1, metrics.Sum("tether.limits.rejected", "inbound-message-rate"));

        await neighbour.SendAsync(w => FrameWriter.WriteData(w, "calm"u8));
        var (from, message) = await server.Handler.NextMessageAsync();
        while (message.AsSpan().SequenceEqual("flood"u8))
        {
            (from, message) = await server.Handler.NextMessageAsync();
        }

        Assert.Equal("calm"u8.ToArray(), message);
        Assert.Null(from.DisconnectInfo);
    }

    [Fact]
    public async Task A_peer_that_keeps_to_its_rate_is_never_limited()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o => o.RateLimits = new RateLimitOptions { MessagesPerSecond = 100, MessageBurst = 50 },
            time,
            new RecordingHandler { Echo = false });
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;

        // 40 a second for five seconds: 200 frames, four times the burst, at 40 % of the rate.
        for (var second = 0; second < 5; second++)
        {
            await peer.SendAsync(w =>
            {
                for (var i = 0; i < 40; i++)
                {
                    FrameWriter.WriteData(w, "steady"u8);
                }
            });
            for (var i = 0; i < 40; i++)
            {
                await server.Handler.NextMessageAsync();
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Single(server.Server.Connections);
        Assert.Null(server.Server.Connections.Single().DisconnectInfo);
    }

    [Fact]
    public async Task A_connection_over_its_byte_rate_is_closed_with_rate_limited()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o => o.RateLimits = new RateLimitOptions { BytesPerSecond = 10_000 },
            time,
            new RecordingHandler { Echo = false });
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;

        await peer.SendAsync(w => FrameWriter.WriteData(w, new byte[20_000]));

        Assert.Equal(CloseCode.RateLimited, (await peer.ReadUntilCloseAsync())?.Code);
        Assert.Equal(1, metrics.Sum("tether.limits.rejected", "inbound-byte-rate"));
    }

    [Fact]
    public async Task Connection_attempts_over_an_address_s_rate_are_refused_until_its_bucket_refills()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o => o.RateLimits = new RateLimitOptions { ConnectionsPerAddressPerSecond = 2, ConnectionBurstPerAddress = 3 },
            time);
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        var peers = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                peers.Add((await RawPeer.HandshakeAsync(server.EndPoint)).Peer);
            }

            await using (var refused = await RawPeer.ConnectAsync(server.EndPoint))
            {
                var close = await refused.ReadUntilCloseAsync();
                Assert.Equal(CloseCode.RateLimited, close?.Code);
                Assert.Contains("connection attempts", close!.Reason, StringComparison.Ordinal);
            }

            Assert.Equal(1, metrics.Sum("tether.limits.rejected", "connection-rate-per-address"));

            // Half a second at 2 a second is one token: one more gets in.
            time.Advance(TimeSpan.FromMilliseconds(500));
            peers.Add((await RawPeer.HandshakeAsync(server.EndPoint)).Peer);
            Assert.Equal(4, server.Server.Connections.Count);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Addresses_are_tracked_only_while_their_bucket_is_refilling_and_an_IPv6_slash_64_shares_one()
    {
        var time = new FakeTimeProvider();
        var limiter = new AddressRateLimiter(time, perSecond: 10, capacity: 2);
        var a = new IPEndPoint(IPAddress.Parse("2001:db8:1:2::10"), 1);
        var sameBlock = new IPEndPoint(IPAddress.Parse("2001:db8:1:2:ffff::1"), 2);
        var v4 = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 3);

        Assert.True(limiter.TryAcquire(a));
        Assert.True(limiter.TryAcquire(sameBlock));
        Assert.False(limiter.TryAcquire(a));
        Assert.True(limiter.TryAcquire(v4));
        Assert.Equal(2, limiter.Count);
        Assert.Equal(AddressRateLimiter.KeyOf(v4), AddressRateLimiter.KeyOf(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.7"), 4)));

        // Once every bucket is full again, the next call's sweep forgets them all: a flood from many addresses leaves nothing behind.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(new IPEndPoint(IPAddress.Parse("198.51.100.1"), 5)));
        Assert.Equal(1, limiter.Count);
    }

    [Fact]
    public void Rates_and_bursts_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new TetherServer(new TetherServerOptions { RateLimits = new RateLimitOptions { MessagesPerSecond = -1 } }, new RecordingHandler()));
        Assert.Throws<ArgumentException>(() => new TetherServer(new TetherServerOptions { RateLimits = new RateLimitOptions { BytesPerSecond = double.NaN } }, new RecordingHandler()));
        Assert.Throws<ArgumentException>(() => new TetherServer(new TetherServerOptions { RateLimits = new RateLimitOptions { MessageBurst = 0 } }, new RecordingHandler()));
    }
}
