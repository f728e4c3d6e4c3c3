using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Tests.Support;

namespace Tether.Tests.Integration;

/// <summary>Detached sessions: time to live, takeover, server restart, and loss that is always reported on both sides.</summary>
public sealed class SessionLifecycleTests
{
    [Fact]
    public async Task An_expired_session_is_reported_lost_on_both_sides_with_the_count()
    {
        var serverTime = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o =>
            {
                o.Heartbeat.TickInterval = TimeSpan.FromMilliseconds(250);
                o.Sessions.DetachedTimeToLive = TimeSpan.FromSeconds(30);
            },
            serverTime);
        await using var proxy = FaultProxy.TcpFaultProxy.Start(server.EndPoint);
        var options = ClientFactory.Options(proxy.EndPoint);
        options.ClientId = "expiring";
        await using var client = new TetherClient(options);
        var clientLost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => clientLost.TrySetResult(e);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;

        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        await server.Handler.NextDisconnectedAsync();
        Assert.True(server.Server.Sessions.TryGet(sessionId, out var session));
        Assert.False(session.IsAttached);
        Assert.True(await server.Server.SendToClientAsync("expiring", "kept while away"u8.ToArray()));
        Assert.Equal(1, session.UnacknowledgedMessages);

        serverTime.AdvanceWithWheel(server.Server, TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(1));
        Assert.True(session.IsLost);
        Assert.Empty(server.Server.Sessions);

        proxy.RefuseNewConnections(false);
        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(sessionId, lost.Info.SessionId);
        Assert.Equal(SessionLostReason.Expired, lost.Info.Reason);
        Assert.Equal(1, lost.Info.PeerReportedLost);
        Assert.NotEqual(sessionId, client.SessionId);
    }

    [Fact]
    public async Task A_session_that_expires_with_nothing_undelivered_ends_quietly()
    {
        var serverTime = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Sessions.DetachedTimeToLive = TimeSpan.FromSeconds(5), serverTime);
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "reason");
        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, ClientId = "leaves" });
        await server.Handler.NextConnectedAsync();
        await peer.DisposeAsync();
        await server.Handler.NextDisconnectedAsync();
        Assert.True(server.Server.Sessions.TryGet(welcome.SessionId, out var session));

        serverTime.AdvanceWithWheel(server.Server, TimeSpan.FromSeconds(7), TimeSpan.FromMilliseconds(500));
        Assert.True(session.IsLost);

        Assert.Empty(server.Server.Sessions);
        Assert.Equal(1, metrics.Sum("tether.session.expired"));
        Assert.Equal(0, metrics.Sum("tether.session.lost", "Expired"));
        Assert.False(server.Handler.TryGetSessionLost(out _), "nothing was lost, so the handler hears nothing");
    }

    [Fact]
    public async Task The_server_reports_the_expiry_itself_with_what_the_client_never_acknowledged()
    {
        var serverTime = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Sessions.DetachedTimeToLive = TimeSpan.FromSeconds(5), serverTime);
        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true, ClientId = "raw" });
        Assert.True(welcome.SessionActive);
        Assert.False(welcome.Resumed);
        var connection = await server.Handler.NextConnectedAsync();
        await connection.SendAsync("one"u8.ToArray());
        await connection.SendAsync("two"u8.ToArray());
        await peer.DisposeAsync();
        await server.Handler.NextDisconnectedAsync();

        Assert.True(server.Server.Sessions.TryGet(welcome.SessionId, out var session), "the session is kept after its connection ends");
        Assert.False(session.IsAttached);
        SessionLostInfo? lost = null;
        serverTime.AdvanceWithWheel(server.Server, TimeSpan.FromSeconds(7), TimeSpan.FromMilliseconds(500));
        Assert.True(session.IsLost);
        lost = await server.Handler.NextSessionLostAsync();

        Assert.NotNull(lost);
        Assert.Equal(welcome.SessionId, lost.SessionId);
        Assert.Equal(SessionLostReason.Expired, lost.Reason);
        Assert.Equal("raw", lost.ClientId);
        Assert.Equal(2, lost.UnacknowledgedSent);
    }

    [Fact]
    public async Task A_second_connection_resuming_the_session_takes_it_over_and_the_first_gets_replaced()
    {
        await using var server = await ServerFixture.StartAsync();
        var options = ClientFactory.Options(server.EndPoint);
        await using var client = new TetherClient(options);
        var states = new StateRecorder(client);
        await client.ConnectAsync();
        for (var i = 1; i <= 3; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"m{i}"));
            await server.Handler.NextMessageAsync();
        }

        var echoes = client.ReadAllAsync().GetAsyncEnumerator();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await echoes.MoveNextAsync());
        }

        var hello = new HelloFrame { RequestSession = true, ResumeSessionId = client.SessionId!.Value, LastReceivedSequence = 3 };
        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, hello);
        await using (peer)
        {
            Assert.True(welcome.Resumed);
            Assert.Equal(hello.ResumeSessionId, welcome.SessionId);
            Assert.Equal(3UL, welcome.LastReceivedSequence);

            await states.WaitForAsync(ClientState.Closed);
            var closed = states.Last(ClientState.Closed)!;
            Assert.Equal(CloseCode.Replaced, closed.Disconnect?.Code);

            // The new connection owns the session: its next message is seq 4, and the server's next is seq 4 too.
            await peer.SendAsync(w => FrameWriter.WriteData(w, "m4"u8, DataFlags.Sequence, 4, 0));
            var (connection, message) = await server.Handler.NextMessageAsync();
            Assert.Equal("m4", Encoding.UTF8.GetString(message));
            Assert.True(connection.SessionResumed);
            var echo = await peer.ReadFrameAsync();
            while (echo.Type != FrameType.Data)
            {
                echo = await peer.ReadFrameAsync();
            }

            Assert.Equal(4UL, DataFrame.Parse(echo.ToFrame()).Sequence);
        }

        await echoes.DisposeAsync();
    }

    [Fact]
    public async Task After_a_server_restart_the_resume_is_refused_as_unknown_and_both_sides_are_told()
    {
        var first = await ServerFixture.StartAsync();
        var port = first.EndPoint.Port;
        var options = ClientFactory.Options(first.EndPoint);
        await using var client = new TetherClient(options);
        var clientLost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => clientLost.TrySetResult(e);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        await first.DisposeAsync();

        await using var second = await ServerFixture.StartAsync(port: port);
        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        var serverLost = await second.Handler.NextSessionLostAsync();

        Assert.Equal(SessionLostReason.Unknown, lost.Info.Reason);
        Assert.Null(lost.Info.PeerReportedLost);
        Assert.Equal(sessionId, serverLost.SessionId);
        Assert.Equal(SessionLostReason.Unknown, serverLost.Reason);
    }

    [Fact]
    public async Task A_client_whose_unacknowledged_messages_are_lost_gets_them_back_in_the_event()
    {
        var first = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        var port = first.EndPoint.Port;
        await using var proxy = FaultProxy.TcpFaultProxy.Start(first.EndPoint);
        await using var client = new TetherClient(ClientFactory.Options(proxy.EndPoint));
        var clientLost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => clientLost.TrySetResult(e);
        await client.ConnectAsync();

        // Nothing reaches the server, so nothing is acknowledged; then the server goes away for good.
        proxy.BlackHole();
        await client.SendAsync("a"u8.ToArray());
        await client.SendAsync("b"u8.ToArray());
        await first.DisposeAsync();
        proxy.ResetAll();
        proxy.Pass();
        await using var second = await ServerFixture.StartAsync(port: port);

        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(2, lost.Info.UnacknowledgedSent);
        Assert.Equal(["a", "b"], lost.Unacknowledged.Select(m => Encoding.UTF8.GetString(m.Span)));
    }

    [Fact]
    public async Task A_server_without_sessions_tells_a_resuming_client_its_session_is_gone()
    {
        var first = await ServerFixture.StartAsync();
        var port = first.EndPoint.Port;
        await using var client = new TetherClient(ClientFactory.Options(first.EndPoint));
        var clientLost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => clientLost.TrySetResult(e);
        await client.ConnectAsync();
        await first.DisposeAsync();

        await using var second = await ServerFixture.StartAsync(o => o.Sessions.Enabled = false, port: port);
        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);

        Assert.Equal(SessionLostReason.NotGranted, lost.Info.Reason);
        await Eventually.WaitUntilAsync(() => client.State == ClientState.Connected);
        Assert.Null(client.SessionId);
        await client.SendAsync("plain"u8.ToArray());
        Assert.Equal("plain", Encoding.UTF8.GetString((await second.Handler.NextMessageAsync()).Message));
    }

}
