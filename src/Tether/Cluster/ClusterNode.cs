using StackExchange.Redis;

namespace Tether.Cluster;

/// <summary>
/// This server as a node of a cluster: its identity, its connection to the shared Redis and the key layout. The
/// routing, presence and session store build on it.
/// </summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private ConnectionMultiplexer? _redis;

    public ClusterNode(ScaleOutOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        Identity = NodeIdentity.Create(options.NodeName);
        Keys = new ClusterKeys(options.KeyPrefix);
    }

    public ScaleOutOptions Options { get; }

    public TimeProvider Time { get; }

    public NodeIdentity Identity { get; }

    public ClusterKeys Keys { get; }

    /// <summary>The shared connection to Redis (after <see cref="StartAsync"/>).</summary>
    public IConnectionMultiplexer Redis => _redis ?? throw new InvalidOperationException("the cluster node is not started");

    /// <summary>True while the node is started and its Redis connection is up (never throws, for health checks).</summary>
    public bool IsConnected => Volatile.Read(ref _redis)?.IsConnected == true;

    /// <summary>The database every key lives in.</summary>
    public IDatabase Database => Redis.GetDatabase();

    /// <summary>
    /// Connects to Redis. A Redis that is down does not stop the node from starting: the connection keeps trying in the
    /// background, and operations that need Redis fail fast meanwhile.
    /// </summary>
    public async Task StartAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(Configure(Options, Identity)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _redis, null) is { } redis)
        {
            await redis.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            await redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The StackExchange.Redis settings: fail fast instead of queueing while Redis is away, never give up reconnecting.</summary>
    internal static ConfigurationOptions Configure(ScaleOutOptions options, NodeIdentity identity)
    {
        var configuration = ConfigurationOptions.Parse(options.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= $"tether-{identity.Name}";
        configuration.ReconnectRetryPolicy ??= new ExponentialRetry(250, 5_000);
        return configuration;
    }
}
