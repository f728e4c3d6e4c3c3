using System.Buffers.Binary;
using System.Text;
using System.Threading.Channels;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// The cluster's broadcasts, in one order on every node. A broadcast is appended to a log in Redis (a stream kept for
/// the sessions' detached time to live) and published with its position and the position before it, in one script;
/// every node, the sender included, delivers it from the broadcast channel through this feed, one at a time. A gap
/// (a message the subscription lost) is read back from the log. Each session remembers its position in the log (in
/// Redis, with the broadcast's append), so a session that resumes on another node first catches up on the
/// broadcasts it missed, then takes the live ones: nothing is lost or doubled when a node dies.
/// </summary>
internal sealed class ClusterBroadcastFeed : IAsyncDisposable
{
    // KEYS: the log, its last id. ARGV: the message's header (kind and origin, as ClusterMessage encodes them), the
    // payload, the oldest id to keep, the channel. Returns the new id.
    private const string PublishScript = """
        local prev = redis.call('GET', KEYS[2]) or '0-0'
        local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 'p', ARGV[2])
        redis.call('SET', KEYS[2], id)
        local key = prev .. ' ' .. id
        redis.call('PUBLISH', ARGV[4], ARGV[1] .. string.char(math.floor(#key / 256), #key % 256) .. key .. ARGV[2])
        return id
        """;

    private static readonly TimeSpan LogExtraRetention = TimeSpan.FromMinutes(1);

    private readonly TetherServer _server;
    private readonly ClusterNode _node;
    private readonly ClusterRouting _routing;
    private readonly Channel<Item> _items = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly byte[] _header;
    private Task _loop = Task.CompletedTask;
    private ulong _cursor;

    public ClusterBroadcastFeed(TetherServer server, ClusterNode node, ClusterRouting routing)
    {
        _server = server;
        _node = node;
        _routing = routing;
        var origin = Encoding.UTF8.GetBytes(node.Identity.Id);
        _header = new byte[1 + 2 + origin.Length];
        _header[0] = (byte)ClusterMessageKind.Broadcast;
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(1), (ushort)origin.Length);
        origin.CopyTo(_header.AsSpan(3));
    }

    /// <summary>The position of the last broadcast this node delivered.</summary>
    public ulong Cursor => Volatile.Read(ref _cursor);

    /// <summary>Starts at the log's end (what was broadcast before this node started is not for its clients).</summary>
    public async Task StartAsync()
    {
        try
        {
            var last = await _node.Database.StringGetAsync(_node.Keys.BroadcastLast).WaitAsync(_node.Options.OperationTimeout * 10, _node.Time).ConfigureAwait(false);
            _cursor = BroadcastLogId.Parse(last);
        }
#pragma warning disable CA1031 // Redis away at start: the first broadcast that comes sets the position.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _routing.Log.Unavailable("broadcast log", ex.Message);
        }

        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Appends a broadcast to the log and publishes it (fail fast); every node delivers it from the channel.</summary>
    public async Task PublishAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var keep = _node.Time.GetUtcNow() - _server.Options.Sessions.DetachedTimeToLive - LogExtraRetention;
        var oldest = keep.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var payload = message.ToArray();
        await _routing.Calls.RunAsync(
            "broadcast",
            () => _node.Database.ScriptEvaluateAsync(PublishScript, [_node.Keys.BroadcastLog, _node.Keys.BroadcastLast], [_header, payload, oldest, _node.Keys.Broadcast.ToString()]),
            cancellationToken).ConfigureAwait(false);
        _routing.Metrics.MessagesRouted.Add(1, ClusterMetrics.Tag("kind", "broadcast"));
    }

    /// <summary>A broadcast from the channel (on the subscription's loop: queued, never waits).</summary>
    public void OnBroadcast(ClusterMessage message)
    {
        var space = message.Key.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            _routing.Log.MalformedMessage("broadcast");
            return;
        }

        var previous = BroadcastLogId.Parse(message.Key[..space]);
        var id = BroadcastLogId.Parse(message.Key[(space + 1)..]);
        _routing.Metrics.MessagesReceived.Add(1, ClusterMetrics.Tag("kind", "broadcast"));
        _items.Writer.TryWrite(new Item(id, previous, message.Payload.ToArray(), null));
    }

    /// <summary>
    /// A session joined this node (new, or resumed from another): once the feed gets to it, it is given the broadcasts
    /// between its position and the node's, and takes the live ones from then on.
    /// </summary>
    public void CatchUp(TetherSession session) => _items.Writer.TryWrite(new Item(0, 0, null, session));

    private async Task RunAsync()
    {
        await foreach (var item in _items.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (item.Session is { } session)
                {
                    await CatchUpAsync(session).ConfigureAwait(false);
                }
                else
                {
                    await DeliverAsync(item.Id, item.Previous, item.Payload!).ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // One broadcast's failure must not stop the feed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _routing.Log.HandlerFailed(ex);
            }
        }
    }

    private async Task DeliverAsync(ulong id, ulong previous, byte[] payload)
    {
        var cursor = _cursor;
        if (id == 0 || (id <= cursor && cursor != 0))
        {
            return;
        }

        if (cursor != 0 && previous != cursor && previous > cursor)
        {
            // The subscription lost broadcasts between the two (a reconnect, a stall): read them from the log.
            _routing.Metrics.BroadcastGapsFilled.Add(1);
            foreach (var (missedId, missed) in await ReadLogAsync(cursor, id).ConfigureAwait(false))
            {
                Deliver(missedId, missed);
            }
        }

        Deliver(id, payload);
    }

    private void Deliver(ulong id, byte[] payload)
    {
        if (id <= _cursor)
        {
            return;
        }

        _server.DeliverClusterBroadcast(payload, id);
        Volatile.Write(ref _cursor, id);
    }

    private async Task CatchUpAsync(TetherSession session)
    {
        if (session.IsLost || session.Core.Persistence is not SessionRecord record)
        {
            return;
        }

        // 0 is "before every broadcast": a session that started before the log had any (or whose node had read none).
        var from = record.BroadcastCursor;
        var to = _cursor;
        if (from >= to)
        {
            // Nothing missed: from here on it takes what the node delivers.
            record.EndCatchUp();
            return;
        }

        List<(ulong Id, byte[] Payload)> missed;
        try
        {
            missed = await ReadLogAsync(from, to, inclusiveEnd: true).ConfigureAwait(false);
        }
        catch (TetherException ex)
        {
            // Not read, so not taken: the session goes back to Redis where its position is kept, and its client's
            // resume (here or elsewhere) catches up then.
            _routing.Metrics.BroadcastCatchUpFailures.Add(1);
            _routing.Log.BroadcastCatchUpFailed(session.ToString(), ex.Message);
            if (session.Connection is { } connection)
            {
                const string Reason = "the session could not catch up on the cluster's broadcasts (Redis unavailable)";
                connection.BeginClose(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.ServerBusy, Reason), CloseCode.ServerBusy, Reason, _server.NextRetryAfterMs(), immediate: true);
            }

            return;
        }

        record.EndCatchUp();
        foreach (var (id, payload) in missed)
        {
            if (payload.Length <= session.Core.MaxPayload)
            {
                session.TrySendBroadcast(payload, id);
            }
        }

        _routing.Metrics.BroadcastsCaughtUp.Add(missed.Count);
    }

    /// <summary>The log's entries after <paramref name="after"/> and before (or up to) <paramref name="until"/>, in order.</summary>
    private async Task<List<(ulong Id, byte[] Payload)>> ReadLogAsync(ulong after, ulong until, bool inclusiveEnd = false)
    {
        var entries = await _routing.Calls.RunAsync(
            "broadcast log",
            () => _node.Database.StreamRangeAsync(_node.Keys.BroadcastLog, "(" + BroadcastLogId.Format(after), (inclusiveEnd ? string.Empty : "(") + BroadcastLogId.Format(until)),
            CancellationToken.None).ConfigureAwait(false);
        var result = new List<(ulong, byte[])>(entries.Length);
        foreach (var entry in entries)
        {
            var payload = entry["p"];
            if (!payload.IsNull)
            {
                result.Add((BroadcastLogId.Parse(entry.Id), (byte[])payload!));
            }
        }

        return result;
    }

    private readonly record struct Item(ulong Id, ulong Previous, byte[]? Payload, TetherSession? Session);
}
