using StackExchange.Redis;

namespace Tether.Cluster;

/// <summary>
/// The node's Redis subscriptions (its inbox, the broadcast channel, the channels of groups with a local member), each
/// read through an ordered <see cref="ChannelMessageQueue"/>: StackExchange.Redis's reader only queues a message, a
/// handler runs on the queue's own loop, one message at a time per channel. Changes are serialized, and everything can
/// be resubscribed at once to repair a stalled subscription.
/// </summary>
internal sealed class ClusterSubscriptions : IDisposable
{
    private readonly ClusterNode _node;
    private readonly ClusterLog _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _generation;
    private volatile int _stalledThrough = -1;

    public ClusterSubscriptions(ClusterNode node, ClusterLog log)
    {
        _node = node;
        _log = log;
    }

    /// <summary>The channels subscribed now.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True while <paramref name="channel"/> is subscribed.</summary>
    public bool IsSubscribed(RedisChannel channel)
    {
        lock (_entries)
        {
            return _entries.ContainsKey(channel.ToString());
        }
    }

    /// <summary>Subscribes <paramref name="channel"/> (once) with <paramref name="handler"/>.</summary>
    public async Task SubscribeAsync(RedisChannel channel, Action<ClusterMessage> handler)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!IsSubscribed(channel))
            {
                await SubscribeLockedAsync(channel, handler).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Subscribes or unsubscribes <paramref name="channel"/> to match <paramref name="wanted"/> (read under the gate).</summary>
    public async Task ReconcileAsync(RedisChannel channel, Func<bool> wanted, Action<ClusterMessage> handler)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var subscribed = IsSubscribed(channel);
            if (wanted() && !subscribed)
            {
                await SubscribeLockedAsync(channel, handler).ConfigureAwait(false);
            }
            else if (!wanted() && subscribed)
            {
                Entry entry;
                lock (_entries)
                {
                    _entries.Remove(channel.ToString(), out entry);
                }

                await entry.Queue.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unsubscribes every channel and subscribes it again (new queues): the repair of a stalled subscription.</summary>
    public async Task<int> ResubscribeAllAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            List<(string Name, Entry Entry)> entries;
            lock (_entries)
            {
                entries = [.. _entries.Select(e => (e.Key, e.Value))];
                _entries.Clear();
            }

            foreach (var (_, entry) in entries)
            {
                try
                {
                    await entry.Queue.UnsubscribeAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The old queue is dropped either way; the new subscription is what matters.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }

            foreach (var (_, entry) in entries)
            {
                await SubscribeLockedAsync(entry.Channel, entry.Handler).ConfigureAwait(false);
            }

            return entries.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Fault hook for tests: every current subscription silently drops what it receives (until resubscribed).</summary>
    internal void SimulateStall() => _stalledThrough = Volatile.Read(ref _generation);

    public async Task UnsubscribeAllAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_entries)
            {
                _entries.Clear();
            }

            await _node.Redis.GetSubscriber().UnsubscribeAllAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task SubscribeLockedAsync(RedisChannel channel, Action<ClusterMessage> handler)
    {
        var queue = await _node.Redis.GetSubscriber().SubscribeAsync(channel).ConfigureAwait(false);
        var generation = Interlocked.Increment(ref _generation);
        queue.OnMessage(message => Handle(generation, message, handler));
        lock (_entries)
        {
            _entries[channel.ToString()] = new Entry(channel, queue, handler);
        }
    }

    private void Handle(int generation, ChannelMessage message, Action<ClusterMessage> handler)
    {
        if (generation <= _stalledThrough)
        {
            return;
        }

        if (!ClusterMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded))
        {
            _log.MalformedMessage(message.Channel.ToString());
            return;
        }

        try
        {
            handler(decoded);
        }
#pragma warning disable CA1031 // One bad message must not end the channel's loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.HandlerFailed(ex);
        }
    }

    private readonly record struct Entry(RedisChannel Channel, ChannelMessageQueue Queue, Action<ClusterMessage> Handler);
}
