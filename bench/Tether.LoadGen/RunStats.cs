using System.Collections.Concurrent;

namespace Tether.LoadGen;

/// <summary>Counters of one run shared by all connections (low-rate events only; the hot path uses <see cref="ThreadLatency"/>).</summary>
internal sealed class RunStats
{
    private long _connected;
    private long _failed;
    private long _disconnected;
    private long _heartbeatsSent;
    private long _heartbeatsAnswered;
    private long _pingsAnswered;
    private long _errors;

    public long Connected => Volatile.Read(ref _connected);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Connections that ended on their own (not closed by the load generator at the end).</summary>
    public long Disconnected => Volatile.Read(ref _disconnected);

    /// <summary>Heartbeats the load generator sent (PING, raw <c>hb\r\n</c>, PINGREQ).</summary>
    public long HeartbeatsSent => Volatile.Read(ref _heartbeatsSent);

    /// <summary>Answers to them (PONG, the echoed 4 bytes, PINGRESP).</summary>
    public long HeartbeatsAnswered => Volatile.Read(ref _heartbeatsAnswered);

    /// <summary>PINGs from the server answered with PONG.</summary>
    public long PingsAnswered => Volatile.Read(ref _pingsAnswered);

    public long Errors => Volatile.Read(ref _errors);

    public ConcurrentDictionary<string, long> DisconnectReasons { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> FailReasons { get; } = new(StringComparer.Ordinal);

    public void OnConnected() => Interlocked.Increment(ref _connected);

    public void OnFailed(string reason)
    {
        Interlocked.Increment(ref _failed);
        FailReasons.AddOrUpdate(reason, 1, static (_, count) => count + 1);
    }

    public void OnDisconnected(string reason)
    {
        Interlocked.Increment(ref _disconnected);
        DisconnectReasons.AddOrUpdate(reason, 1, static (_, count) => count + 1);
    }

    public void OnHeartbeatSent() => Interlocked.Increment(ref _heartbeatsSent);

    public void OnHeartbeatAnswered() => Interlocked.Increment(ref _heartbeatsAnswered);

    public void OnPingAnswered() => Interlocked.Increment(ref _pingsAnswered);

    public void OnError() => Interlocked.Increment(ref _errors);
}
