using System.Collections.Concurrent;
using System.Text;
using Tether.Client;
using Tether.FaultProxy;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>
/// Redis restarted without its data: the node writes the sessions it holds back from memory, so no connection is
/// dropped, no session is lost, reliable messages go on in order both ways, and the sessions resume on another node.
/// </summary>
public sealed class RedisDataLossTests
{
    [RedisFact]
    public async Task Redis_restarted_empty_drops_no_connection_and_the_sessions_go_on_and_resume_on_another_node()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "none");
        await using var proxy = TcpFaultProxy.Start(a.EndPoint);
        await using var s1 = await WatchedClient.ConnectAsync("s1", session: true, proxy.EndPoint, b.EndPoint);
        await using var s2 = await WatchedClient.ConnectAsync("s2", session: true, a.EndPoint);
        await using var plain = await WatchedClient.ConnectAsync("plain", session: false, a.EndPoint);
        await ExchangeAsync(a, s1, "before");
        await ExchangeAsync(a, s2, "before");

        await redis.StopAsync();
        await Eventually.WaitUntilAsync(() => !a.Server.Cluster!.Redis.IsConnected, "the node saw Redis go");
        await redis.StartAgainAsync();

        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.cluster.sessions.restored") >= 2, "both sessions restored");
        Assert.Equal(a.Server.Cluster!.Identity.Id, await FieldAsync(redis, "s1", "owner"));
        Assert.Equal(a.Server.Cluster!.Identity.Id, await FieldAsync(redis, "s2", "owner"));
        await ExchangeAsync(a, s1, "after");
        await ExchangeAsync(a, s2, "after");
        Assert.True(await a.Server.SendToClientAsync("plain", "plain after"u8.ToArray()));
        Assert.Equal("plain after", await plain.NextAsync());
        foreach (var client in new[] { s1, s2, plain })
        {
            client.AssertUndisturbed();
        }

        Assert.False(a.Handler.TryGetDisconnected(out _));
        Assert.False(a.Handler.TryGetSessionLost(out _));
        Assert.Equal(0, metrics.Sum("tether.cluster.sessions.vanished"));

        // Its state is in Redis again: s1 resumes on b, with nothing lost, repeated or reordered.
        var sessionId = s1.Client.SessionId;
        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        var resumed = await s1.Resumed.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(sessionId, resumed.SessionId);
        await ExchangeAsync(b, s1, "on b");
        Assert.False(s1.Lost.Task.IsCompleted, "the session was not lost");
        Assert.False(b.Handler.TryGetSessionLost(out _));
    }

    [RedisFact]
    public async Task A_write_that_finds_its_session_gone_first_restores_it_and_reliable_sends_keep_their_order()
    {
        await using var redis = await RedisServer.StartAsync();

        // No epoch check for a long while: the writes find the loss first.
        await using var a = await StartNodeAsync(redis, "a", o => (o.AnnounceInterval, o.NodeTimeToLive) = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3)));
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "none");
        await using var s = await WatchedClient.ConnectAsync("s", session: true, a.EndPoint);
        var connection = await ExchangeAsync(a, s, "before");

        // Emptied without a reconnect (a reconnect announces at once, and the epoch check finds the loss first).
        await redis.CommandAsync("FLUSHALL");

        // Sent back to back: the first appends meet GONE, the restore writes them back, and later ones follow it.
        var sends = Enumerable.Range(1, 20).Select(i => connection.SendAsync(Encoding.UTF8.GetBytes($"down{i}")).AsTask()).ToArray();
        await Task.WhenAll(sends);
        for (var i = 1; i <= 20; i++)
        {
            Assert.Equal($"down{i}", await s.NextAsync());
        }

        for (var i = 1; i <= 3; i++)
        {
            await s.Client.SendAsync(Encoding.UTF8.GetBytes($"up{i}"));
            Assert.Equal($"up{i}", Encoding.UTF8.GetString((await a.Handler.NextMessageAsync()).Message));
        }

        await WaitForFieldAsync(redis, "s", "in", "4");
        Assert.True(metrics.Sum("tether.cluster.sessions.restored") >= 1);
        Assert.Equal(a.Server.Cluster!.Identity.Id, await FieldAsync(redis, "s", "owner"));
        s.AssertUndisturbed();
        Assert.False(a.Handler.TryGetDisconnected(out _));
    }

    [RedisFact]
    public async Task A_long_backlog_is_restored_in_several_scripts_and_resumes_on_another_node_whole_and_in_order()
    {
        const int Count = 300;
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", o => (o.AnnounceInterval, o.NodeTimeToLive) = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3)));
        await using var b = await StartNodeAsync(redis, "b");

        // A peer that never acknowledges: everything sent stays held, about 900 KB (more than one restore script takes).
        var (peerA, welcome) = await RawPeer.HandshakeAsync(a.EndPoint, new HelloFrame { RequestSession = true, ClientId = "long" });
        await using var ownedA = peerA;
        var connection = await a.Handler.NextConnectedAsync();
        for (var i = 1; i < Count; i++)
        {
            await connection.SendAsync(Message(i));
        }

        await redis.CommandAsync("FLUSHALL");
        await connection.SendAsync(Message(Count));

        Assert.Equal($":{Count}", await redis.CommandAsync("XLEN t:{long}:out"));
        Assert.Equal($"{Count}", await FieldAsync(redis, "long", "out"));
        var (peerB, resumed) = await RawPeer.HandshakeAsync(b.EndPoint, new HelloFrame { RequestSession = true, ClientId = "long", ResumeSessionId = welcome.SessionId, LastReceivedSequence = 0 });
        await using var ownedB = peerB;
        Assert.True(resumed.Resumed);
        for (var i = 1; i <= Count; i++)
        {
            var (sequence, payload) = await ReadDataAsync(peerB);
            Assert.Equal((ulong)i, sequence);
            Assert.Equal(Message(i), payload);
        }

        static byte[] Message(int i) => Encoding.UTF8.GetBytes($"m{i:D4}".PadRight(3000, '.'));
    }

    [RedisFact]
    public async Task A_restore_that_fails_leaves_the_session_and_its_connection_as_they_are_and_runs_again_at_the_next_reconnect()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", o => (o.AnnounceInterval, o.NodeTimeToLive) = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3)));
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "none");
        await using var s = await WatchedClient.ConnectAsync("p", session: true, a.EndPoint);
        var connection = await ExchangeAsync(a, s, "before");
        await redis.CommandAsync("FLUSHALL");

        // A key of the wrong type where the restore looks for a tombstone: the restore script fails (the append does not
        // touch that key, so it still answers GONE).
        await redis.CommandAsync("HSET t:{p}:lost broken 1");
        var error = await Assert.ThrowsAsync<TetherException>(() => connection.SendAsync("held"u8.ToArray()).AsTask());
        Assert.Contains("may or may not reach the client", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.restore_failures"));
        Assert.Equal(ConnectionState.Open, connection.State);

        // Redis usable again, and a reconnect: the restore runs again, and the held message goes out.
        await redis.CommandAsync("DEL t:{p}:lost");
        await redis.CommandAsync("CLIENT KILL TYPE normal");
        Assert.Equal("held", await s.NextAsync());
        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.cluster.sessions.restored") >= 1, "the session restored");
        await connection.SendAsync("after"u8.ToArray());
        Assert.Equal("after", await s.NextAsync());
        s.AssertUndisturbed();
        Assert.False(a.Handler.TryGetDisconnected(out _));
    }

    [RedisFact]
    public async Task A_session_that_was_ended_on_purpose_is_not_restored_its_connection_closes_and_the_client_is_told()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", o => (o.AnnounceInterval, o.NodeTimeToLive) = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3)));
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "none");
        await using var s = await WatchedClient.ConnectAsync("ended", session: true, a.EndPoint);
        var connection = await ExchangeAsync(a, s, "before");
        var sessionId = s.Client.SessionId!.Value;

        // Its record is gone and a tombstone says it was ended (as when a resume elsewhere found a gap).
        await redis.CommandAsync($"SET t:{{ended}}:lost {sessionId}|Overflow|0");
        await redis.CommandAsync("DEL t:{ended}:sess t:{ended}:out");

        await Assert.ThrowsAsync<TetherException>(() => connection.SendAsync("not restored"u8.ToArray()).AsTask());
        var (_, info) = await a.Handler.NextDisconnectedAsync();
        Assert.Equal(CloseCode.ServerBusy, info.Code);
        Assert.Equal(1, metrics.Sum("tether.cluster.sessions.vanished"));
        Assert.Equal(0, metrics.Sum("tether.cluster.sessions.restored"));
        var lost = await s.Lost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(sessionId, lost.Info.SessionId);
    }

    /// <summary>One message up and one down on the client's session; returns the node's connection of the client.</summary>
    private static async Task<TetherConnection> ExchangeAsync(ServerFixture node, WatchedClient client, string label)
    {
        await client.Client.SendAsync(Encoding.UTF8.GetBytes($"{label} up"));
        var (connection, message) = await node.Handler.NextMessageAsync();
        Assert.Equal($"{label} up", Encoding.UTF8.GetString(message));
        Assert.Equal(client.Id, connection.ClientId);
        await connection.SendAsync(Encoding.UTF8.GetBytes($"{label} down"));
        Assert.Equal($"{label} down", await client.NextAsync());
        return connection;
    }

    private static async Task<(ulong Sequence, byte[] Payload)> ReadDataAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReadFrameAsync();
            Assert.False(frame.IsEndOfStream);
            if (frame.Type == FrameType.Data)
            {
                var data = DataFrame.Parse(frame.ToFrame());
                return (data.Sequence, System.Buffers.BuffersExtensions.ToArray(data.Payload));
            }
        }
    }

    private static async Task<string?> FieldAsync(RedisServer redis, string clientId, string field)
    {
        // A bulk string reply: "$length\r\nvalue", or "$-1" for none.
        var reply = await redis.CommandAsync($"HGET t:{{{clientId}}}:sess {field}");
        var end = reply.IndexOf("\r\n", StringComparison.Ordinal);
        return reply == "$-1" ? null : end < 0 ? string.Empty : reply[(end + 2)..];
    }

    private static Task WaitForFieldAsync(RedisServer redis, string clientId, string field, string value) =>
        UntilAsync(async () => await FieldAsync(redis, clientId, field) == value, $"{clientId}'s {field} is {value}");

    /// <summary>A client that records every state change and session event, and reads its messages in order.</summary>
    private sealed class WatchedClient : IAsyncDisposable
    {
        private readonly ConcurrentQueue<ClientState> _states = new();
        private readonly ReadingClient _reader;

        private WatchedClient(TetherClient client, string id)
        {
            Client = client;
            Id = id;
            client.StateChanged += (_, e) => _states.Enqueue(e.Current);
            client.SessionResumed += (_, e) => Resumed.TrySetResult(e);
            client.SessionLost += (_, e) => Lost.TrySetResult(e);
            _reader = new ReadingClient(client);
        }

        public TetherClient Client { get; }

        public string Id { get; }

        public TaskCompletionSource<SessionResumedEventArgs> Resumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<SessionLostEventArgs> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static async Task<WatchedClient> ConnectAsync(string clientId, bool session, params System.Net.IPEndPoint[] endPoints)
        {
            var options = ClientFactory.Options(endPoints);
            options.ClientId = clientId;
            options.Sessions.Enabled = session;
            var client = new WatchedClient(new TetherClient(options), clientId);
            await client.Client.ConnectAsync();
            client._states.Clear();
            return client;
        }

        public Task<string> NextAsync() => _reader.NextAsync();

        /// <summary>Still connected, never disconnected, no session lost or resumed.</summary>
        public void AssertUndisturbed()
        {
            Assert.Equal(ClientState.Connected, Client.State);
            Assert.DoesNotContain(_states, state => state != ClientState.Connected);
            Assert.False(Lost.Task.IsCompleted, $"{Id}'s session was lost");
            Assert.False(Resumed.Task.IsCompleted, $"{Id}'s session was resumed (it had disconnected)");
        }

        public ValueTask DisposeAsync() => _reader.DisposeAsync();
    }
}
