using Tether.Client;
using Tether.Cluster;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>
/// Confirmed pushes across nodes: a push is stored in the client's session before it is reported sent, a retried push
/// (same push id) is taken once wherever the session is, a frame reaches the client only once Redis has it, and a push
/// to a session whose node died goes into Redis for the client's resume.
/// </summary>
public sealed class RemotePushTests
{
    [RedisFact]
    public async Task A_push_reported_sent_is_already_in_the_sessions_log_in_redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var bob = await ConnectAsync(b, "bob");
        await UntilLocatedAsync(a, "bob", "b");

        Assert.True(await a.Server.SendToClientAsync("bob", "stored first"u8.ToArray()));

        // No waiting: true means the owner appended it before it answered (out never goes back; the entry itself is
        // trimmed once the client acknowledges it).
        Assert.Equal(":1", await redis.CommandAsync("HINCRBY t:{bob}:sess out 0"));
        Assert.Equal("stored first", await bob.NextAsync());
    }

    [RedisFact]
    public async Task The_same_push_id_is_taken_once_by_the_owner_and_once_by_a_detached_session()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var b = await StartNodeAsync(redis, "b");
        var bob = await ConnectAsync(b, "bob");
        Assert.True(b.Server.Sessions.TryGetByClientId("bob", out var session));

        Assert.True(await session.SendPushAsync("once"u8.ToArray(), "a:1/7", CancellationToken.None));
        Assert.False(await session.SendPushAsync("once"u8.ToArray(), "a:1/7", CancellationToken.None));
        Assert.True(await session.SendPushAsync("next"u8.ToArray(), "a:1/8", CancellationToken.None));
        Assert.Equal("once", await bob.NextAsync());
        Assert.Equal("next", await bob.NextAsync());

        // The ids went to Redis with the messages: a store append of a known id is a duplicate, wherever it comes from.
        await bob.DisposeAsync();
        await UntilAsync(async () => (await redis.CommandAsync("HGET t:{bob}:sess owner")).StartsWith("$0", StringComparison.Ordinal), "bob's session released");
        Assert.Equal(DetachedAppend.Duplicate, await b.Server.SessionStore.TrySendToDetachedAsync("bob", "once"u8.ToArray(), "a:1/7", string.Empty, CancellationToken.None));
        Assert.Equal(DetachedAppend.Appended, await b.Server.SessionStore.TrySendToDetachedAsync("bob", "new"u8.ToArray(), "a:1/9", string.Empty, CancellationToken.None));
        Assert.Equal(DetachedAppend.Duplicate, await b.Server.SessionStore.TrySendToDetachedAsync("bob", "new"u8.ToArray(), "a:1/9", string.Empty, CancellationToken.None));
        Assert.Equal(DetachedAppend.NoSession, await b.Server.SessionStore.TrySendToDetachedAsync("nobody", "x"u8.ToArray(), "a:1/10", string.Empty, CancellationToken.None));
    }

    [RedisFact]
    public async Task A_reliable_frame_reaches_the_client_only_once_redis_confirmed_its_append()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", o => o.OperationTimeout = TimeSpan.FromSeconds(5));
        await using var alice = await ConnectAsync(a, "alice");
        Assert.True(a.Server.Sessions.TryGetByClientId("alice", out var session));

        // Redis holds every write (the append is a script that writes) for a while.
        Assert.Equal("+OK", await redis.CommandAsync("CLIENT PAUSE 1500 WRITE"));
        var send = session.SendAsync("after the append"u8.ToArray()).AsTask();
        var early = alice.NextAsync();

        // Well inside the pause: without write-ahead the frame would be there in a millisecond.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(early.IsCompleted, "the frame reached the client before Redis stored its append");
        Assert.False(send.IsCompleted);

        await send;
        Assert.Equal("after the append", await early);
        Assert.Equal(":1", await redis.CommandAsync("HINCRBY t:{alice}:sess out 0"));
    }

    [RedisFact]
    public async Task A_push_to_a_session_whose_node_was_killed_is_delivered_once_after_the_resume_elsewhere()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        var c = await StartNodeAsync(redis, "c");
        var options = Support.ClientFactory.Options(c.EndPoint);
        options.ClientId = "roamer";
        options.EndPoints.Add(b.EndPoint);
        await using var roamer = new ReadingClient(new TetherClient(options));
        await roamer.Client.ConnectAsync();
        await UntilLocatedAsync(a, "roamer", "c");
        Assert.True(await a.Server.SendToClientAsync("roamer", "before"u8.ToArray()));
        Assert.Equal("before", await roamer.NextAsync());

        // As kill -9: its connections drop, nothing is written to Redis, its announcement stays until it expires.
        await c.Server.KillForTestingAsync();
        Assert.True(await a.Server.SendToClientAsync("roamer", "during"u8.ToArray()));
        Assert.True(await a.Server.SendToClientAsync("roamer", "after"u8.ToArray()));

        Assert.Equal("during", await roamer.NextAsync());
        Assert.Equal("after", await roamer.NextAsync());
        await UntilLocatedAsync(a, "roamer", "b");
        Assert.True(await a.Server.SendToClientAsync("roamer", "on b"u8.ToArray()));
        Assert.Equal("on b", await roamer.NextAsync());
        await c.DisposeAsync();
    }
}
