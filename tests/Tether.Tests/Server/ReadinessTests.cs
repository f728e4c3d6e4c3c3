using Tether.Protocol;
using Tether.Tests.Support;
using Tether.Transport;

namespace Tether.Tests.Server;

/// <summary>
/// The idle-connection guarantee of the readiness engine: a quiet connection is armed on epoll and holds nothing of
/// the runtime's asynchronous socket machinery, and whatever ends it (the peer, an abort) still wakes its reader.
/// </summary>
public class ReadinessTests
{
    [LinuxFact]
    public async Task An_idle_connection_is_armed_on_the_engine_without_the_runtime_socket_context_or_a_buffer()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Transport = TransportKind.Epoll);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using var __ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        await peer.SendAsync(w => FrameWriter.WriteData(w, "hello"u8, DataFlags.Sequence, 1, 0));
        await server.Handler.NextMessageAsync();
        await Eventually.WaitUntilAsync(() => connection.Transport.IsArmed && !connection.Transport.HoldsReceiveBuffer);

        Assert.True(connection.Transport.UsesReadinessEngine);
        // The runtime's per-socket asynchronous machinery hangs off a Socket object; with the engine none was ever made.
        Assert.False(connection.Transport.HasSocketObject, "a Socket object (and with it the runtime's async context) was created");
    }

    [Fact]
    public async Task Pings_are_answered_on_the_engine_thread_and_messages_still_reach_the_handler_in_order()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = peer;
        await server.Handler.NextConnectedAsync();

        // One write: PING, DATA, PING, DATA. The first PING is answered before the work moves to the thread pool; the
        // rest follow in order there.
        await peer.SendAsync(w =>
        {
            FrameWriter.WritePing(w, 1);
            FrameWriter.WriteData(w, "a"u8);
            FrameWriter.WritePing(w, 2);
            FrameWriter.WriteData(w, "b"u8);
        });

        Assert.Equal("a"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);
        Assert.Equal("b"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);

        // The handler echoes: the replies come back in the order of what they answer.
        var replies = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var frame = (await peer.ReadFrameAsync()).ToFrame();
            replies.Add(frame.Type == FrameType.Pong ? $"PONG {frame.ReadUInt64Body()}" : $"DATA {System.Text.Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(DataFrame.Parse(frame).Payload))}");
        }

        Assert.Equal(["PONG 1", "DATA a", "PONG 2", "DATA b"], replies);
    }

    [Fact]
    public async Task Aborting_an_idle_connection_wakes_its_reader_and_the_disconnect_is_reported()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = peer;
        var connection = await server.Handler.NextConnectedAsync();
        await Eventually.WaitUntilAsync(() => connection.Transport.IsArmed || !connection.Transport.UsesReadinessEngine);

        connection.Abort();

        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ClosedLocally, info.Reason);
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 0);
    }

    [Fact]
    public async Task Data_and_the_end_of_stream_in_one_arrival_are_both_seen()
    {
        await using var server = await ServerFixture.StartAsync();
        for (var round = 0; round < 20; round++)
        {
            var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
            await using var __ = peer;
            var connection = await server.Handler.NextConnectedAsync();
            await Eventually.WaitUntilAsync(() => connection.Transport.IsArmed || !connection.Transport.UsesReadinessEngine);

            // A short read that empties the socket must not be taken for "nothing more": the FIN came with the frame,
            // so no further readiness report will follow it.
            await peer.SendAsync(w => FrameWriter.WriteData(w, "last"u8));
            peer.ShutdownSend();

            Assert.Equal("last"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);
            var (closed, info) = await server.Handler.NextDisconnectedAsync();
            Assert.Same(connection, closed);
            Assert.Equal(DisconnectReason.ConnectionLost, info.Reason);
        }
    }

    [Fact]
    public async Task Frames_arriving_one_at_a_time_after_short_reads_all_arrive()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = peer;
        await server.Handler.NextConnectedAsync();

        // Each frame is a read shorter than the buffer, after which the socket is empty; the next one must still wake
        // the connection, whether it arrives while the reader is busy or after it has gone back to waiting.
        for (var i = 0; i < 200; i++)
        {
            await peer.SendAsync(w => FrameWriter.WritePing(w, (ulong)i));
            if (i % 2 == 0)
            {
                var pong = (await peer.ReadFrameAsync()).ToFrame();
                Assert.Equal(FrameType.Pong, pong.Type);
                Assert.Equal((ulong)i, pong.ReadUInt64Body());
            }
            else
            {
                await peer.SendAsync(w => FrameWriter.WriteData(w, "x"u8));
                Assert.Equal((ulong)i, (await peer.ReadFrameAsync()).ToFrame().ReadUInt64Body());
                Assert.Equal("x"u8.ToArray(), (await server.Handler.NextMessageAsync()).Message);
                Assert.Equal(FrameType.Data, (await peer.ReadFrameAsync()).ToFrame().Type);
            }
        }
    }
}
