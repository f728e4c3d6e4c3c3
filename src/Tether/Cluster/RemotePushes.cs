using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using StackExchange.Redis;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// Pushes to client ids held by other nodes, confirmed: the push goes to the holding node's inbox, which stores it in
/// the client's session (or queues it on a sessionless connection) and answers. Without an answer (the node died, the
/// client is moving) the push is tried again, through the directory or straight into the session in Redis, until
/// <see cref="ScaleOutOptions.RemoteSendTimeout"/>. Every attempt carries the same push id, which the session remembers
/// with the message, so a retry whose first attempt did get through is recognised: at least once plus the id makes it
/// exactly once. Also the holding node's side: <see cref="OnPush"/>.
/// </summary>
internal sealed class RemotePushes
{
    // KEYS: the client's directory entry. ARGV: inbox name before and after the node id, the message, this node, the
    // node announcement key before and after the node id. Returns {receivers, node}: receivers 0 when the node's inbox
    // has no subscriber (it is dead), -1 when the client id is connected nowhere, -3 when its node's announcement
    // expired (dead), -2 when the entry names this node (stale: the local registry, asked first, does not have it).
    private const string SendScript = """
        local node = redis.call('HGET', KEYS[1], 'node')
        if not node then return {-1, ''} end
        if node == ARGV[4] then return {-2, node} end
        if redis.call('EXISTS', ARGV[5] .. node .. ARGV[6]) == 0 then return {-3, node} end
        return {redis.call('PUBLISH', ARGV[1] .. node .. ARGV[2], ARGV[3]), node}
        """;

    private const int RequestBytes = sizeof(long);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MinReplyWait = TimeSpan.FromMilliseconds(200);

    private readonly TetherServer _server;
    private readonly ClusterNode _node;
    private readonly ClusterRouting _routing;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<Reply>> _waiting = new();

    // Pushes this node is storing now, by push id: a retry that comes meanwhile gets the first attempt's answer.
    private readonly ConcurrentDictionary<string, Task<Reply>> _storing = new(StringComparer.Ordinal);
    private long _lastRequest;

    public RemotePushes(TetherServer server, ClusterNode node, ClusterRouting routing)
    {
        _server = server;
        _node = node;
        _routing = routing;
    }

    private ClusterMetrics Metrics => _routing.Metrics;

    private ClusterLog Log => _routing.Log;

    /// <summary>
    /// Sends to a client id this node does not hold. True once a node stored it in the client's session (or queued it
    /// on a connection without one); false when the client id has neither a connection nor a session anywhere. Throws
    /// <see cref="TetherException"/> when Redis is unavailable, when the holding node could not store it, or when no
    /// node took it within <see cref="ScaleOutOptions.RemoteSendTimeout"/>.
    /// </summary>
    public async ValueTask<bool> SendAsync(string clientId, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        _routing.Calls.EnsureConnected("send");
        var request = Interlocked.Increment(ref _lastRequest);
        var pushId = _node.Identity.Id + "/" + request.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var payload = EncodePush(clientId, request, message.Span);
        var started = _node.Time.GetTimestamp();
        var timeout = _node.Options.RemoteSendTimeout;
        var delay = FirstRetryDelay;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var answer = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[request] = answer;
                var routed = (RedisResult[])(await _routing.Calls.RunAsync("send", () => _node.Database.ScriptEvaluateAsync(SendScript, [_node.Keys.Connection(clientId)], [_routing.InboxPrefix, _routing.InboxSuffix, payload, _node.Identity.Id, _node.Keys.NodeKeyPrefix, ClusterKeys.NodeKeySuffix]),
                    cancellationToken).ConfigureAwait(false))!;
                var receivers = (long)routed[0];
                if (receivers > 0)
                {
                    var reply = await WaitForReplyAsync(answer.Task, started, cancellationToken).ConfigureAwait(false);
                    switch (reply.Outcome)
                    {
                        case PushOutcome.Stored:
                        case PushOutcome.Duplicate:
                        case PushOutcome.Delivered:
                            Sent(attempt, reply.Outcome);
                            return true;
                        case PushOutcome.Failed:
                            Metrics.RemotePushes.Add(1, ClusterMetrics.Tag("outcome", "failed"));
                            throw new TetherException($"the message to {clientId} was not accepted by its node: {reply.Reason}");
                    }
                }

                // Connected nowhere, or its node does not answer (dead, or the client just left it): a session in Redis
                // that no node holds takes the message, and so does one held by a node that is dead (its inbox has no
                // subscriber, or its announcement expired); one held by a live node goes through that node. Without a
                // session, a client whose node is gone cannot be reached.
                var deadNode = receivers is 0 or -3 ? (string)routed[1]! : string.Empty;
                switch (await _server.SessionStore.TrySendToDetachedAsync(clientId, message, pushId, deadNode, cancellationToken).ConfigureAwait(false))
                {
                    case DetachedAppend.Appended:
                    case DetachedAppend.Duplicate:
                        Sent(attempt, PushOutcome.Stored);
                        return true;
                    case DetachedAppend.NoSession when receivers <= 0:
                        Metrics.RemotePushes.Add(1, ClusterMetrics.Tag("outcome", "unknown"));
                        return false;
                }

                var elapsed = _node.Time.GetElapsedTime(started);
                if (elapsed + delay >= timeout)
                {
                    Metrics.RemotePushes.Add(1, ClusterMetrics.Tag("outcome", "timeout"));
                    Log.RemotePushGaveUp(clientId, attempt, elapsed.TotalMilliseconds);
                    throw new TetherException($"the message to {clientId} was not accepted: its node did not answer and its session was not resumed elsewhere within {timeout.TotalSeconds:0.###} s");
                }

                Metrics.RemotePushRetries.Add(1);
                await Task.Delay(delay, _node.Time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
        finally
        {
            _waiting.TryRemove(request, out _);
        }
    }

    /// <summary>A push from another node, on the inbox's loop: handled off it (storing waits for Redis), answered when done.</summary>
    public void OnPush(ClusterMessage message)
    {
        if (message.Payload.Length < RequestBytes)
        {
            return;
        }

        var request = BinaryPrimitives.ReadInt64BigEndian(message.Payload.Span);

        // The inbox's buffer is not ours beyond this call.
        var body = message.Payload[RequestBytes..].ToArray();
        Metrics.MessagesReceived.Add(1, ClusterMetrics.Tag("kind", "push"));
        _ = DeliverAndAnswerAsync(message.Origin, message.Key, request, body);
    }

    /// <summary>An answer to one of this node's pushes.</summary>
    public void OnReply(ClusterMessage message)
    {
        var span = message.Payload.Span;
        if (span.Length < RequestBytes + 1)
        {
            return;
        }

        var request = BinaryPrimitives.ReadInt64BigEndian(span);
        if (_waiting.TryGetValue(request, out var answer))
        {
            answer.TrySetResult(new Reply((PushOutcome)span[RequestBytes], Encoding.UTF8.GetString(span[(RequestBytes + 1)..])));
        }
    }

    private async Task<Reply> WaitForReplyAsync(Task<Reply> answer, long started, CancellationToken cancellationToken)
    {
        // A live node answers within about one Redis operation; a longer silence is a dead node (or a slow one, whose
        // late answer a retry's duplicate check absorbs).
        var remaining = _node.Options.RemoteSendTimeout - _node.Time.GetElapsedTime(started);
        var wait = TimeSpan.FromTicks(Math.Min(remaining.Ticks, Math.Max(_node.Options.OperationTimeout.Ticks * 2, MinReplyWait.Ticks)));
        try
        {
            return await answer.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _node.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new Reply(PushOutcome.NotHere, "no answer");
        }
    }

    private async Task DeliverAndAnswerAsync(string origin, string clientId, long request, byte[] body)
    {
        var pushId = origin + "/" + request.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Called from the inbox's one loop (up to this method's first await), so the lookup and the add cannot race.
        var retry = _storing.TryGetValue(pushId, out var storing);
        if (!retry)
        {
            storing = StoreAsync(clientId, body, pushId);
            _storing[pushId] = storing;
        }

        var answer = await storing!.ConfigureAwait(false);
        if (!retry)
        {
            _storing.TryRemove(pushId, out _);
        }
        else if (answer.Outcome == PushOutcome.Stored)
        {
            answer = answer with { Outcome = PushOutcome.Duplicate };
        }

        var reply = new byte[RequestBytes + 1 + Encoding.UTF8.GetByteCount(answer.Reason)];
        BinaryPrimitives.WriteInt64BigEndian(reply, request);
        reply[RequestBytes] = (byte)answer.Outcome;
        Encoding.UTF8.GetBytes(answer.Reason, reply.AsSpan(RequestBytes + 1));
        _routing.PublishToNode(origin, new ClusterMessage(ClusterMessageKind.PushReply, _node.Identity.Id, clientId, reply));
    }

    private async Task<Reply> StoreAsync(string clientId, byte[] body, string pushId)
    {
        try
        {
            return new Reply(await DeliverAsync(clientId, body, pushId).ConfigureAwait(false), string.Empty);
        }
        catch (TetherException ex)
        {
            return new Reply(PushOutcome.Failed, ex.Message);
        }
        catch (ArgumentException ex)
        {
            // Larger than the client accepts.
            return new Reply(PushOutcome.Failed, ex.Message);
        }
    }

    private async Task<PushOutcome> DeliverAsync(string clientId, byte[] body, string pushId)
    {
        if (_server.Sessions.TryGetByClientId(clientId, out var session) && !session.IsLost)
        {
            if (session.Core.Persistence is SessionRecord { IsActive: false })
            {
                // Being handed back to Redis (its client left): the sender appends to it there once that is done.
                return PushOutcome.NotHere;
            }

            try
            {
                return await session.SendPushAsync(body, pushId, CancellationToken.None).ConfigureAwait(false) ? PushOutcome.Stored : PushOutcome.Duplicate;
            }
            catch (TetherException) when (session.IsLost)
            {
                // Taken by another node meanwhile (fenced): the sender finds it there.
                return PushOutcome.NotHere;
            }
        }

        if (_server.Connections.TryGetByClientId(clientId, out var connection) && connection.Session is null)
        {
            await connection.SendAsync(body, CancellationToken.None).ConfigureAwait(false);
            return PushOutcome.Delivered;
        }

        return PushOutcome.NotHere;
    }

    private byte[] EncodePush(string clientId, long request, ReadOnlySpan<byte> message)
    {
        var body = new byte[RequestBytes + message.Length];
        BinaryPrimitives.WriteInt64BigEndian(body, request);
        message.CopyTo(body.AsSpan(RequestBytes));
        return ClusterMessage.Encode(ClusterMessageKind.Push, _node.Identity.Id, clientId, body);
    }

    private void Sent(int attempts, PushOutcome outcome)
    {
        Metrics.MessagesRouted.Add(1, ClusterMetrics.Tag("kind", "push"));
        Metrics.RemotePushes.Add(1, ClusterMetrics.Tag("outcome", outcome.ToString().ToLowerInvariant()));
        if (attempts > 1)
        {
            Log.RemotePushRetried(attempts);
        }
    }

    private readonly record struct Reply(PushOutcome Outcome, string Reason);
}
