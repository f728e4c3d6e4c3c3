using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Integration;

/// <summary>
/// The largest message is exactly what fits the peer's announced maximum DATA body (protocol section 4.5): the whole
/// maximum without a session, less 8 for the sequence number in one; a pending ack that would not fit beside it goes
/// in an ACK frame of its own.
/// </summary>
public sealed class MessageSizeLimitTests
{
    private const int PeerMax = ProtocolConstants.MinMaxFrameSize;
    private const int SessionMax = PeerMax - 8;

    [Fact]
    public async Task In_a_session_the_server_sends_peer_max_minus_8_with_its_ack_in_a_separate_frame()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, MaxFrameSize = PeerMax });
        await using (peer)
        {
            // The echo is written while the ack of the message it answers is pending: both do not fit one frame.
            var message = Filled(SessionMax, 7);
            await peer.SendAsync(w => FrameWriter.WriteData(w, message, DataFlags.Sequence, 1, 0));

            var ack = await peer.ReadFrameAsync();
            Assert.Equal(FrameType.Ack, ack.Type);
            Assert.Equal(1UL, ack.ToFrame().ReadUInt64Body());
            var echo = await peer.ReadFrameAsync();
            Assert.Equal(FrameType.Data, echo.Type);
            Assert.Equal(PeerMax, echo.Body.Length);
            var data = DataFrame.Parse(echo.ToFrame());
            Assert.Equal(DataFlags.Sequence, data.Flags);
            Assert.Equal(1UL, data.Sequence);
            Assert.Equal(message, System.Buffers.BuffersExtensions.ToArray(data.Payload));
        }
    }

    [Fact]
    public async Task In_a_session_the_server_refuses_peer_max_minus_7_locally()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, MaxFrameSize = PeerMax });
        await using (peer)
        {
            var connection = await server.Handler.NextConnectedAsync();

            var error = await Assert.ThrowsAsync<ArgumentException>(async () => await connection.SendAsync(new byte[SessionMax + 1]));

            Assert.Contains($"{SessionMax} bytes of payload", error.Message, StringComparison.Ordinal);
            await connection.SendAsync(new byte[SessionMax]);
            Assert.Equal(PeerMax, (await peer.ReadFrameAsync()).Body.Length);
        }
    }

    [Fact]
    public async Task Without_a_session_the_server_sends_the_peer_max_and_refuses_one_byte_more()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { MaxFrameSize = PeerMax });
        await using (peer)
        {
            var connection = await server.Handler.NextConnectedAsync();

            var error = await Assert.ThrowsAsync<ArgumentException>(async () => await connection.SendAsync(new byte[PeerMax + 1]));

            Assert.Contains($"frame limit of {PeerMax} bytes", error.Message, StringComparison.Ordinal);
            await connection.SendAsync(Filled(PeerMax, 3));
            var frame = await peer.ReadFrameAsync();
            Assert.Equal(FrameType.Data, frame.Type);
            Assert.Equal(0, frame.Header.Flags);
            Assert.Equal(Filled(PeerMax, 3), frame.Body);
        }
    }

    [Fact]
    public async Task In_a_session_client_and_server_exchange_peer_max_minus_8_both_ways()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxFrameSize = PeerMax);
        var options = ClientFactory.Options(server.EndPoint);
        options.MaxFrameSize = PeerMax;
        await using var client = new TetherClient(options);
        await client.ConnectAsync();
        var message = Filled(SessionMax, 5);

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendAsync(new byte[SessionMax + 1]));
        await client.SendAsync(message);

        Assert.Equal(message, (await server.Handler.NextMessageAsync()).Message);
        Assert.Equal(message, await FirstMessageAsync(client));
    }

    [Fact]
    public async Task Without_a_session_client_and_server_exchange_the_peer_max_both_ways()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxFrameSize = PeerMax);
        var options = ClientFactory.Options(server.EndPoint);
        options.MaxFrameSize = PeerMax;
        options.Sessions.Enabled = false;
        await using var client = new TetherClient(options);
        await client.ConnectAsync();
        var message = Filled(PeerMax, 9);

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendAsync(new byte[PeerMax + 1]));
        await client.SendAsync(message);

        Assert.Equal(message, (await server.Handler.NextMessageAsync()).Message);
        Assert.Equal(message, await FirstMessageAsync(client));
    }

    private static async Task<byte[]> FirstMessageAsync(TetherClient client)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Event);
        await foreach (var received in client.ReadAllAsync(timeout.Token))
        {
            return received.ToArray();
        }

        throw new InvalidOperationException("the client stopped before a message arrived");
    }

    private static byte[] Filled(int length, byte seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }

        return bytes;
    }
}
