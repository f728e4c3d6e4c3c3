using System.Net;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>The per-address connection limit: the address over it is refused, and a slot comes back when one leaves.</summary>
public class AddressLimitTests
{
    [Fact]
    public async Task A_connection_beyond_the_per_address_limit_is_refused_and_a_freed_slot_is_reused()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnectionsPerAddress = 2);
        var (first, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        var (second, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = second;

        await using (var third = await RawPeer.ConnectAsync(server.EndPoint))
        {
            var close = await third.ReadUntilCloseAsync();
            Assert.Equal(CloseCode.TooManyConnections, close?.Code);
            Assert.Contains("this address", close!.Reason, StringComparison.Ordinal);
        }

        await first.DisposeAsync();
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 1);

        var (again, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var ___ = again;
        Assert.Equal(2, server.Server.Connections.Count);
    }

    [Fact]
    public void Counts_are_per_address_and_an_IPv4_peer_on_a_dual_stack_socket_counts_as_IPv4()
    {
        var counts = new AddressConnectionCounts();
        var v4 = AddressConnectionCounts.AddressOf(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 1))!;
        var mapped = AddressConnectionCounts.AddressOf(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.1"), 2))!;
        var other = AddressConnectionCounts.AddressOf(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 3))!;

        Assert.True(counts.TryAcquire(v4, 2));
        Assert.True(counts.TryAcquire(mapped, 2));
        Assert.False(counts.TryAcquire(v4, 2));
        Assert.True(counts.TryAcquire(other, 2));

        counts.Release(mapped);
        Assert.Equal(1, counts.CountOf(v4));
        counts.Release(v4);
        Assert.Equal(0, counts.CountOf(v4));
        counts.Release(v4);
        Assert.Equal(0, counts.CountOf(v4));
        Assert.Equal(1, counts.CountOf(other));
    }

    [Fact]
    public void A_per_address_limit_below_one_is_refused()
    {
        var options = new TetherServerOptions { MaxConnectionsPerAddress = 0 };
        options.Listen(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.Throws<ArgumentException>(() => new TetherServer(options, new RecordingHandler()));
    }
}
