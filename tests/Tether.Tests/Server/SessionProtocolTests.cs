using System.Text;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>The server enforces the session rules of protocol section 10 on what a peer sends.</summary>
public sealed class SessionProtocolTests
{
    [Fact]
    public async Task Data_without_seq_in_a_session_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w => FrameWriter.WriteData(w, "x"u8));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    [Fact]
    public async Task Seq_or_ack_outside_a_session_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame());
        await using (peer)
        {
            Assert.False(welcome.SessionActive);
            await peer.SendAsync(w => FrameWriter.WriteAck(w, 0));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    [Fact]
    public async Task A_gap_in_sequence_numbers_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w => FrameWriter.WriteData(w, "x"u8, DataFlags.Sequence, 2, 0));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    [Fact]
    public async Task Seq_0_in_a_session_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w => FrameWriter.WriteData(w, "x"u8, DataFlags.Sequence, 0, 0));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    [Fact]
    public async Task An_ack_beyond_what_was_sent_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w => FrameWriter.WriteAck(w, 1));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    [Fact]
    public async Task A_duplicate_is_dropped_and_acknowledged_data_is_delivered_once()
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w =>
            {
                FrameWriter.WriteData(w, "one"u8, DataFlags.Sequence, 1, 0);
                FrameWriter.WriteData(w, "one again"u8, DataFlags.Sequence, 1, 0);
                FrameWriter.WriteData(w, "two"u8, DataFlags.Sequence, 2, 0);
            });

            Assert.Equal("one", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
            Assert.Equal("two", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
            var connection = await server.Handler.NextConnectedAsync();
            Assert.Equal(2UL, connection.Session!.LastReceivedSequence);
        }
    }

    [Fact]
    public async Task The_receiver_acknowledges_after_the_configured_number_of_messages()
    {
        await using var server = await ServerFixture.StartAsync(
            o =>
            {
                o.Sessions.AckAfterMessages = 4;
                o.Sessions.AckDelay = TimeSpan.FromMinutes(1);
            },
            handler: new RecordingHandler { Echo = false });
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w =>
            {
                for (ulong seq = 1; seq <= 9; seq++)
                {
                    FrameWriter.WriteData(w, "m"u8, DataFlags.Sequence, seq, 0);
                }
            });

            Assert.Equal(4UL, await NextAckAsync(peer));
            Assert.Equal(8UL, await NextAckAsync(peer));
        }
    }

    [Fact]
    public async Task A_lone_message_is_acknowledged_after_the_ack_delay_on_the_timing_wheel()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Sessions.AckDelay = TimeSpan.FromMilliseconds(200), time, new RecordingHandler { Echo = false });
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendAsync(w => FrameWriter.WriteData(w, "lonely"u8, DataFlags.Sequence, 1, 0));
            await server.Handler.NextMessageAsync();
            var ack = NextAckAsync(peer);
            Assert.False(ack.IsCompleted, "acknowledged before the ack delay");

            // The wheel runs on this thread: past the delay and one tick, the ack has been written.
            time.AdvanceWithWheel(server.Server, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(250));
            Assert.Equal(1UL, await ack.WaitAsync(Timeouts.Event));
        }
    }

    [Fact]
    public async Task A_resume_claiming_more_than_the_server_sent_is_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        var (first, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await first.DisposeAsync();
        await server.Handler.NextDisconnectedAsync();

        var peer = await RawPeer.ConnectAsync(server.EndPoint);
        await using (peer)
        {
            await peer.SendAsync(w => new HelloFrame { RequestSession = true, ResumeSessionId = welcome.SessionId, LastReceivedSequence = 5 }.Write(w));
            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
        }
    }

    private static async Task<ulong> NextAckAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReadFrameAsync();
            Assert.False(frame.IsEndOfStream);
            if (frame.Type == FrameType.Ack)
            {
                return frame.ToFrame().ReadUInt64Body();
            }
        }
    }
}
