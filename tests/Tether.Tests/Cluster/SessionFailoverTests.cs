using System.Text;
using Tether.Client;
using Tether.Cluster;
using Tether.FaultProxy;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Tests.Support;

namespace Tether.Tests.Cluster;

/// <summary>
/// Reliable sessions across nodes sharing one Redis: a session resumes on another node after its node stops or dies,
/// with every message once and in order; a resume takes a session from a live node (which closes with REPLACED); a
/// Redis that lost the data of a session no node holds gives a reported reset, never a resume with a hole (a session a
/// node holds is written back: RedisDataLossTests); a fenced node can no longer send.
/// </summary>
public sealed class SessionFailoverTests
{
    [RedisFact]
    public async Task A_session_resumes_on_another_node_after_its_node_stops_with_every_message_once_and_in_order()
    {
        await using var redis = await RedisServer.StartAsync();
        var a = await NodeAsync(redis, "a");
        await using var b = await NodeAsync(redis, "b");
        await using var proxyB = TcpFaultProxy.Start(b.EndPoint);
        proxyB.RefuseNewConnections(true);
        var options = ClientFactory.Options(a.EndPoint, proxyB.EndPoint);
        options.ClientId = "c1";
        await using var client = new TetherClient(options);
        var resumed = Watch(client, out var lost);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        var connection = await a.Handler.NextConnectedAsync();
        var received = client.ReadAllAsync().GetAsyncEnumerator();

        await ExchangeAsync(client, a, connection, received);
        await WaitForFieldAsync(redis, "c1", "in", "3");
        await a.DisposeAsync();
        await WaitForFieldAsync(redis, "c1", "owner", string.Empty);
        Assert.True(await b.Server.SendToClientAsync("c1", "down3"u8.ToArray()), "sent during the outage");
        proxyB.RefuseNewConnections(false);

        Assert.Equal(sessionId, (await resumed.Task.WaitAsync(Timeouts.Event)).SessionId);
        Assert.Equal("down3", await NextAsync(received));
        await AssertNothingMoreAsync(client, b, received, "up4");
        Assert.False(lost.Task.IsCompleted, "nothing was lost");
    }

    [RedisFact]
    public async Task A_session_resumes_on_another_node_after_its_node_dies_without_loss_duplicates_or_reordering()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        await using var b = await NodeAsync(redis, "b");
        var options = ClientFactory.Options(a.EndPoint, b.EndPoint);
        options.ClientId = "c2";
        await using var client = new TetherClient(options);
        var resumed = Watch(client, out var lost);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        var connection = await a.Handler.NextConnectedAsync();
        var received = client.ReadAllAsync().GetAsyncEnumerator();

        await ExchangeAsync(client, a, connection, received);
        await WaitForFieldAsync(redis, "c2", "in", "3");
        await a.Server.KillForTestingAsync();
        await client.SendAsync("up4"u8.ToArray());

        Assert.Equal(sessionId, (await resumed.Task.WaitAsync(Timeouts.Event)).SessionId);
        Assert.Equal("up4", Text((await b.Handler.NextMessageAsync()).Message));
        Assert.True(b.Server.Sessions.TryGetByClientId("c2", out var session));
        await session.SendAsync("down3"u8.ToArray());
        Assert.Equal("down3", await NextAsync(received));
        await AssertNothingMoreAsync(client, b, received, "up5");
        Assert.False(lost.Task.IsCompleted, "nothing was lost");
    }

    [RedisFact]
    public async Task An_anonymous_session_resumes_on_another_node_too()
    {
        await using var redis = await RedisServer.StartAsync();
        var a = await NodeAsync(redis, "a");
        await using var b = await NodeAsync(redis, "b");
        await using var client = new TetherClient(ClientFactory.Options(a.EndPoint, b.EndPoint));
        var resumed = Watch(client, out var lost);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        var connection = await a.Handler.NextConnectedAsync();
        var received = client.ReadAllAsync().GetAsyncEnumerator();

        await ExchangeAsync(client, a, connection, received);
        await WaitForFieldAsync(redis, "~" + sessionId, "in", "3");
        await a.DisposeAsync();

        Assert.Equal(sessionId, (await resumed.Task.WaitAsync(Timeouts.Event)).SessionId);
        Assert.True(b.Server.Sessions.TryGet(sessionId, out var session));
        Assert.Null(session.ClientId);
        await session.SendAsync("down3"u8.ToArray());
        Assert.Equal("down3", await NextAsync(received));
        await AssertNothingMoreAsync(client, b, received, "up4");
        Assert.False(lost.Task.IsCompleted, "nothing was lost");
    }

    [RedisFact]
    public async Task A_resume_on_another_node_takes_the_session_from_a_live_node_which_closes_with_replaced()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        await using var b = await NodeAsync(redis, "b");
        var (peerA, welcomeA) = await RawPeer.HandshakeAsync(a.EndPoint, new HelloFrame { RequestSession = true, ClientId = "t" });
        await using var ownedA = peerA;
        var connectionA = await a.Handler.NextConnectedAsync();
        await connectionA.SendAsync("one"u8.ToArray());
        Assert.Equal((1UL, "one"), await ReadDataAsync(peerA));

        var (peerB, welcomeB) = await RawPeer.HandshakeAsync(b.EndPoint, new HelloFrame { RequestSession = true, ClientId = "t", ResumeSessionId = welcomeA.SessionId, LastReceivedSequence = 1 });
        await using var ownedB = peerB;

        Assert.True(welcomeB.Resumed);
        Assert.Equal(welcomeA.SessionId, welcomeB.SessionId);
        var (_, info) = await a.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.Replaced, info.Reason);
        Assert.False(a.Server.Sessions.TryGet(welcomeA.SessionId, out _));
        await Assert.ThrowsAsync<TetherException>(() => connectionA.SendAsync("late"u8.ToArray()).AsTask());
        Assert.True(b.Server.Sessions.TryGet(welcomeA.SessionId, out var session));
        await session.SendAsync("two"u8.ToArray());
        Assert.Equal((2UL, "two"), await ReadDataAsync(peerB));
    }

    [RedisFact]
    public async Task A_resume_on_another_node_that_would_hide_a_gap_is_a_reset_with_the_missing_count()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        await using var b = await NodeAsync(redis, "b");
        var (peerA, welcomeA) = await RawPeer.HandshakeAsync(a.EndPoint, new HelloFrame { RequestSession = true, ClientId = "g" });
        await using var ownedA = peerA;
        var connection = await a.Handler.NextConnectedAsync();
        for (var i = 1; i <= 3; i++)
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        await peerA.SendAsync(w => FrameWriter.WriteAck(w, 3));
        await WaitForFieldAsync(redis, "g", "acked", "3");

        // A peer that claims to have only seq 1 when the cluster freed up to 3: resuming would hide two messages.
        var (peerB, welcomeB) = await RawPeer.HandshakeAsync(b.EndPoint, new HelloFrame { RequestSession = true, ClientId = "g", ResumeSessionId = welcomeA.SessionId, LastReceivedSequence = 1 });
        await using var ownedB = peerB;

        Assert.False(welcomeB.Resumed);
        Assert.Equal(SessionResetReason.Gap, welcomeB.SessionResetReason);
        Assert.Equal(2U, welcomeB.LostCount);
        var lost = await b.Handler.NextSessionLostAsync();
        Assert.Equal(welcomeA.SessionId, lost.SessionId);
        Assert.Equal(SessionLostReason.Gap, lost.Reason);
        Assert.Equal(DisconnectReason.Replaced, (await a.Handler.NextDisconnectedAsync()).Info.Reason);
    }

    [RedisFact]
    public async Task A_resume_of_a_session_no_node_held_when_redis_lost_its_data_is_a_reset_reported_on_both_sides()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        await using var proxy = TcpFaultProxy.Start(a.EndPoint);
        var options = ClientFactory.Options(proxy.EndPoint);
        options.ClientId = "r";
        await using var client = new TetherClient(options);
        _ = Watch(client, out var clientLost);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        var connection = await a.Handler.NextConnectedAsync();
        await connection.SendAsync("kept"u8.ToArray());

        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        await a.Handler.NextDisconnectedAsync();
        await WaitForFieldAsync(redis, "r", "owner", string.Empty);

        // Released: the session waits in Redis alone, so nothing can write it back when Redis loses it.
        await redis.RestartAsync();
        proxy.RefuseNewConnections(false);

        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(sessionId, lost.Info.SessionId);
        Assert.Equal(SessionLostReason.Unknown, lost.Info.Reason);
        var serverLost = await a.Handler.NextSessionLostAsync();
        Assert.Equal(sessionId, serverLost.SessionId);
        Assert.Equal(SessionLostReason.Unknown, serverLost.Reason);
        Assert.NotEqual(sessionId, client.SessionId);
    }

    [RedisFact]
    public async Task A_resume_after_the_detached_time_to_live_is_told_expired_with_what_was_sent_meanwhile()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a", detachedTimeToLive: TimeSpan.FromSeconds(1));
        await using var proxy = TcpFaultProxy.Start(a.EndPoint);
        var options = ClientFactory.Options(proxy.EndPoint);
        options.ClientId = "e";
        await using var client = new TetherClient(options);
        _ = Watch(client, out var clientLost);
        await client.ConnectAsync();
        var sessionId = client.SessionId!.Value;
        await a.Handler.NextConnectedAsync();

        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        await a.Handler.NextDisconnectedAsync();
        await WaitForFieldAsync(redis, "e", "owner", string.Empty);
        Assert.True(await a.Server.SendToClientAsync("e", "while away"u8.ToArray()));
        await WaitForFieldAsync(redis, "e", "sid", null);
        Assert.False(await a.Server.SendToClientAsync("e", "too late"u8.ToArray()));
        proxy.RefuseNewConnections(false);

        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(sessionId, lost.Info.SessionId);
        Assert.Equal(SessionLostReason.Expired, lost.Info.Reason);
        Assert.Equal(1, lost.Info.PeerReportedLost);
    }

    [RedisFact]
    public async Task A_node_whose_fence_is_stale_cannot_send_and_closes_the_connection_with_replaced()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "operation");
        var (peer, _) = await RawPeer.HandshakeAsync(a.EndPoint, new HelloFrame { RequestSession = true, ClientId = "f" });
        await using var owned = peer;
        var connection = await a.Handler.NextConnectedAsync();

        // Another node claimed the session while this one was cut off from Redis (its notice never arrived).
        await redis.CommandAsync("HINCRBY tether:{f}:sess fence 1");

        await Assert.ThrowsAsync<TetherException>(() => connection.SendAsync("not acknowledged"u8.ToArray()).AsTask());
        var (_, info) = await a.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.Replaced, info.Reason);
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.fenced"));
        Assert.Equal("0", await FieldAsync(redis, "f", "out"));
    }

    [RedisFact]
    public async Task A_send_while_redis_is_down_is_refused_at_once_and_the_connection_stays()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        var (peer, _) = await RawPeer.HandshakeAsync(a.EndPoint, new HelloFrame { RequestSession = true, ClientId = "down" });
        await using var owned = peer;
        var connection = await a.Handler.NextConnectedAsync();
        await redis.StopAsync();
        await Eventually.WaitUntilAsync(() => !a.Server.Cluster!.Redis.IsConnected);

        var error = await Assert.ThrowsAsync<TetherException>(() => connection.SendAsync("not stored"u8.ToArray()).AsTask());

        Assert.StartsWith("scale-out: Redis unavailable", error.Message, StringComparison.Ordinal);
        Assert.Equal(0UL, connection.Session!.LastSentSequence);
        Assert.Equal(Tether.Server.ConnectionState.Open, connection.State);
        Assert.False(a.Handler.TryGetDisconnected(out _));
    }

    [RedisFact]
    public async Task A_new_session_is_refused_with_server_busy_while_redis_is_down()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await NodeAsync(redis, "a");
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "operation");
        await redis.StopAsync();

        await using var peer = await RawPeer.ConnectAsync(a.EndPoint);
        await peer.SendAsync(w => new HelloFrame { RequestSession = true, ClientId = "busy" }.Write(w));
        var close = await peer.ReadUntilCloseAsync();

        Assert.NotNull(close);
        Assert.Equal(CloseCode.ServerBusy, close.Code);
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.refused"));
    }

    private static Task<ServerFixture> NodeAsync(RedisServer redis, string name, TimeSpan? detachedTimeToLive = null) =>
        ServerFixture.StartAsync(
            o =>
            {
                o.ScaleOut = new ScaleOutOptions { Redis = redis.Configuration, NodeName = name, OperationTimeout = TimeSpan.FromSeconds(2) };
                o.Sessions.DetachedTimeToLive = detachedTimeToLive ?? TimeSpan.FromSeconds(30);
            },
            handler: new RecordingHandler { Echo = false });

    /// <summary>Three messages up (the node's handler gets them in order), two down (the client gets them).</summary>
    private static async Task ExchangeAsync(TetherClient client, ServerFixture node, Tether.Server.TetherConnection connection, IAsyncEnumerator<ReadOnlyMemory<byte>> received)
    {
        for (var i = 1; i <= 3; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"up{i}"));
        }

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($"up{i}", Text((await node.Handler.NextMessageAsync()).Message));
        }

        await connection.SendAsync("down1"u8.ToArray());
        await connection.SendAsync("down2"u8.ToArray());
        Assert.Equal("down1", await NextAsync(received));
        Assert.Equal("down2", await NextAsync(received));
    }

    /// <summary>One more each way: the next message on either side is that one (nothing was delivered twice before it).</summary>
    private static async Task AssertNothingMoreAsync(TetherClient client, ServerFixture node, IAsyncEnumerator<ReadOnlyMemory<byte>> received, string up)
    {
        await client.SendAsync(Encoding.UTF8.GetBytes(up));
        var (connection, message) = await node.Handler.NextMessageAsync();
        Assert.Equal(up, Text(message));
        await connection.SendAsync("last"u8.ToArray());
        Assert.Equal("last", await NextAsync(received));
    }

    private static TaskCompletionSource<SessionResumedEventArgs> Watch(TetherClient client, out TaskCompletionSource<SessionLostEventArgs> lost)
    {
        var resumed = new TaskCompletionSource<SessionResumedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lostSource = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionResumed += (_, e) => resumed.TrySetResult(e);
        client.SessionLost += (_, e) => lostSource.TrySetResult(e);
        lost = lostSource;
        return resumed;
    }

    private static async Task<string> NextAsync(IAsyncEnumerator<ReadOnlyMemory<byte>> received)
    {
        Assert.True(await received.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        return Text(received.Current.Span);
    }

    private static async Task<(ulong Sequence, string Text)> ReadDataAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReadFrameAsync();
            Assert.False(frame.IsEndOfStream);
            if (frame.Type == FrameType.Data)
            {
                var data = DataFrame.Parse(frame.ToFrame());
                return (data.Sequence, Encoding.UTF8.GetString(data.Payload));
            }
        }
    }

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>A field of a client's session hash, as Redis has it now (null when absent).</summary>
    private static async Task<string?> FieldAsync(RedisServer redis, string clientId, string field)
    {
        var reply = await redis.CommandAsync($"HGET tether:{{{clientId}}}:sess {field}");
        if (reply == "$-1")
        {
            return null;
        }

        var end = reply.IndexOf("\r\n", StringComparison.Ordinal);
        return end < 0 ? string.Empty : reply[(end + 2)..];
    }

    private static async Task WaitForFieldAsync(RedisServer redis, string clientId, string field, string? expected)
    {
        var deadline = DateTime.UtcNow + Timeouts.Event;
        while (await FieldAsync(redis, clientId, field) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{field} of {clientId} never became '{expected}'");
            await Task.Delay(20);
        }
    }
}
