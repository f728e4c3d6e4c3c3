using System.Text;
using Tether.Client;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// What the client does with the session outcomes of a WELCOME (protocol sections 10.6 and 10.7), checked on the wire
/// against a scripted server.
/// </summary>
public sealed class SessionResetTests
{
    [Fact]
    public async Task After_a_reset_the_unacknowledged_messages_are_reported_and_not_resent_in_the_new_session()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var lost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => lost.TrySetResult(e);
        var oldId = SessionId.NewRandom();
        var accepting = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(oldId));
        await client.ConnectAsync();
        var (first, _) = await accepting;
        await client.SendAsync("a"u8.ToArray());
        await client.SendAsync("b"u8.ToArray());
        Assert.Equal(1UL, DataFrame.Parse((await first.ReadFrameAsync()).ToFrame()).Sequence);
        Assert.Equal(2UL, DataFrame.Parse((await first.ReadFrameAsync()).ToFrame()).Sequence);

        // Dropped without an ack; the server then answers the resume with a new session.
        var newId = SessionId.NewRandom();
        var reconnect = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(newId, reset: SessionResetReason.Expired, lostCount: 0));
        await first.DisposeAsync();
        var (second, hello) = await reconnect;
        await using (second)
        {
            Assert.Equal(oldId, hello.ResumeSessionId);
            var reported = await lost.Task.WaitAsync(Timeouts.Event);
            Assert.Equal(SessionLostReason.Expired, reported.Info.Reason);
            Assert.Equal(2, reported.Info.UnacknowledgedSent);
            Assert.Equal(["a", "b"], reported.Unacknowledged.Select(m => Encoding.UTF8.GetString(m.Span)));

            // The first DATA of the new session is the first message sent after the reset, numbered 1.
            await client.SendAsync("c"u8.ToArray());
            var data = DataFrame.Parse((await second.ReadFrameAsync()).ToFrame());
            Assert.Equal(1UL, data.Sequence);
            Assert.Equal("c", Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(data.Payload)));
            Assert.Equal(newId, client.SessionId);
        }
    }

    [Fact]
    public async Task A_resumed_welcome_with_another_session_id_is_a_protocol_error_and_the_session_is_kept()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        var lostEvents = 0;
        client.SessionLost += (_, _) => Interlocked.Increment(ref lostEvents);
        var id = SessionId.NewRandom();
        var accepting = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id));
        await client.ConnectAsync();
        var (first, _) = await accepting;

        var wrong = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(SessionId.NewRandom(), resumed: true));
        await first.DisposeAsync();
        var (second, _) = await wrong;
        await using (second)
        {
            Assert.Equal(CloseCode.ProtocolError, (await second.ReadUntilCloseAsync())?.Code);
        }

        // It reconnects with backoff and asks to resume the same session again; nothing was reported lost.
        var (third, hello) = await server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id, resumed: true));
        await using (third)
        {
            Assert.Equal(id, hello.ResumeSessionId);
            var afterViolation = states.Events.Last(e => e.Current == ClientState.Reconnecting);
            Assert.Equal(DisconnectReason.ProtocolError, afterViolation.Disconnect?.Reason);
            Assert.Equal(CloseCode.ProtocolError, afterViolation.Disconnect?.Code);
            Assert.Equal(2, afterViolation.Attempt);
            await states.WaitForAsync(ClientState.Connected, 2);
            Assert.Equal(id, client.SessionId);
            Assert.Equal(0, Volatile.Read(ref lostEvents));
        }
    }

    [Fact]
    public async Task A_reset_reason_in_the_welcome_of_a_new_session_request_is_ignored()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var lostEvents = 0;
        client.SessionLost += (_, _) => Interlocked.Increment(ref lostEvents);
        var id = SessionId.NewRandom();
        var accepting = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id, reset: SessionResetReason.Expired, lostCount: 7));

        await client.ConnectAsync();

        var (peer, hello) = await accepting;
        await using (peer)
        {
            Assert.False(hello.IsResume);
            Assert.Equal(id, client.SessionId);
            Assert.Equal(0, Volatile.Read(ref lostEvents));
        }
    }

    [Fact]
    public async Task After_a_client_side_gap_the_new_session_attempt_goes_through_backoff()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        var lost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => lost.TrySetResult(e);
        var id = SessionId.NewRandom();
        var accepting = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id));
        await client.ConnectAsync();
        var (first, _) = await accepting;

        // Three messages, all acknowledged: the client frees them.
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(new[] { (byte)i });
            Assert.Equal(FrameType.Data, (await first.ReadFrameAsync()).Type);
        }

        await first.SendAsync(w => FrameWriter.WriteAck(w, 3));
        await Eventually.WaitUntilAsync(() => client.UnacknowledgedMessages == 0, "the ack to free the messages");

        // The server claims to have only seq 1: the client cannot fill the gap.
        var gap = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id, resumed: true, lastReceived: 1));
        await first.DisposeAsync();
        var (second, _) = await gap;
        await using (second)
        {
            Assert.Equal(CloseCode.Normal, (await second.ReadUntilCloseAsync())?.Code);
            Assert.Equal(SessionLostReason.Gap, (await lost.Task.WaitAsync(Timeouts.Event)).Info.Reason);
        }

        var (third, hello) = await server.AcceptAsync(_ => ScriptedServer.SessionWelcome(SessionId.NewRandom()));
        await using (third)
        {
            Assert.True(hello.RequestSession);
            Assert.False(hello.IsResume);
            Assert.Equal([1, 2], states.Events.Where(e => e.Current == ClientState.Reconnecting).Select(e => e.Attempt));
        }
    }
}
