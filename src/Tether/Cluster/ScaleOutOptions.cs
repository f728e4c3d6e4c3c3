namespace Tether.Cluster;

/// <summary>
/// Several Tether nodes sharing one Redis: push to a client id wherever it is connected, broadcast and groups across
/// nodes, cluster-wide presence, and reliable sessions that resume on any node. Set
/// <see cref="Server.TetherServerOptions.ScaleOut"/> to use it; without it a server is a single node and needs no Redis.
/// </summary>
public sealed class ScaleOutOptions
{
    /// <summary>
    /// The Redis to share, in StackExchange.Redis's configuration syntax (<c>host:port</c>, several endpoints,
    /// <c>serviceName=...</c> for Sentinel, <c>password=...</c>, <c>ssl=true</c> and the rest). Required.
    /// </summary>
    public string Redis { get; set; } = string.Empty;

    /// <summary>This node's name in presence and logs; the machine's name and the process id when not set.</summary>
    public string? NodeName { get; set; }

    /// <summary>The prefix of every Redis key and channel, so that several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "tether";

    /// <summary>
    /// How long a cross-node or reliable operation may wait for Redis before it fails with an error (it never reports
    /// success for a message Redis did not take).
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a session handshake may wait for Redis to store a new session or hand over a resumed one before the
    /// client is refused with SERVER_BUSY (it then retries later). Longer than <see cref="OperationTimeout"/> by
    /// default: during a burst of connections a client waiting a little longer for its WELCOME is far better than a
    /// refused session. A node whose Redis is disconnected still refuses at once. At most 30 s.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a push to a client id on another node may take in all: when the node holding the client does not
    /// answer (it died, or the client is moving between nodes), the push is tried again until its session is held by a
    /// node that stores it, and fails with an error after this long. Retries never duplicate: the session remembers
    /// each push's id. At most 30 s.
    /// </summary>
    public TimeSpan RemoteSendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a node announces itself (with its counts) in Redis. A node that dies is gone from presence at once
    /// (its inbox loses its subscriber); the announcement carries its counts and ends it after a network partition.
    /// </summary>
    public TimeSpan AnnounceInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a node's announcement lives: a node not heard of for this long is dead to the others.</summary>
    public TimeSpan NodeTimeToLive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a node sends a probe through its own subscription to detect a silently stalled one.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            throw new ArgumentException("scale-out needs a Redis configuration (host:port)");
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("the scale-out key prefix must be a non-empty string without braces");
        }

        if (NodeName is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > 200))
        {
            throw new ArgumentException("the node name must be 1 to 200 characters");
        }

        if (OperationTimeout <= TimeSpan.Zero || AnnounceInterval <= TimeSpan.Zero || ProbeInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the scale-out operation timeout, announce interval and probe interval must be positive");
        }

        if (OperationTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException("the scale-out operation timeout must be at most 30 s");
        }

        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException("the scale-out handshake timeout must be positive and at most 30 s");
        }

        if (RemoteSendTimeout < OperationTimeout || RemoteSendTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException("the scale-out remote send timeout must be between the operation timeout and 30 s");
        }

        if (NodeTimeToLive <= AnnounceInterval * 2)
        {
            throw new ArgumentException("the node time to live must be more than twice the announce interval");
        }
    }
}
