using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>
/// A HELLO with SESSION and RESUME and the all-zero session id asks for a session no server ever had: it is answered as
/// an unknown session (protocol section 10.6), never refused.
/// </summary>
public sealed class ResumeZeroSessionTests
{
    [Fact]
    public async Task The_server_answers_with_a_new_session_and_reset_unknown()
    {
        await using var server = await ServerFixture.StartAsync();

        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, IsResume = true, LastReceivedSequence = 5 });
        await using (peer)
        {
            Assert.True(welcome.SessionActive);
            Assert.False(welcome.Resumed);
            Assert.False(welcome.SessionId.IsNone);
            Assert.Equal(0UL, welcome.LastReceivedSequence);
            Assert.Equal(SessionResetReason.Unknown, welcome.SessionResetReason);
            Assert.Equal(ProtocolConstants.UnknownLostCount, welcome.LostCount);

            // The new session works, and the server reports no lost session (none of its sessions was lost).
            await peer.SendAsync(w => FrameWriter.WriteData(w, "x"u8, DataFlags.Sequence, 1, 0));
            await server.Handler.NextMessageAsync();
            Assert.False(server.Handler.TryGetSessionLost(out _));
        }
    }

    [Fact]
    public async Task Without_sessions_the_server_answers_with_no_session_and_reset_unknown()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Sessions.Enabled = false);

        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, IsResume = true });
        await using (peer)
        {
            Assert.False(welcome.SessionActive);
            Assert.Equal(SessionResetReason.Unknown, welcome.SessionResetReason);
            Assert.Equal(ProtocolConstants.UnknownLostCount, welcome.LostCount);
        }
    }

    [Fact]
    public void The_frame_round_trips_with_resume_and_the_zero_id()
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        new HelloFrame { RequestSession = true, IsResume = true, LastReceivedSequence = 5 }.Write(writer);
        var sequence = new System.Buffers.ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(TetherFrame.TryRead(ref sequence, ProtocolConstants.HandshakeMaxBodySize, out var frame));

        var hello = HelloFrame.Parse(frame);

        Assert.Equal((byte)(HelloFlags.Session | HelloFlags.Resume), frame.Flags);
        Assert.True(hello.IsResume);
        Assert.True(hello.ResumeSessionId.IsNone);
        Assert.Equal(5UL, hello.LastReceivedSequence);
    }
}
