using System.Diagnostics.Metrics;

namespace Tether.Cluster;

/// <summary>The instruments of a cluster node's routing and presence, on the server's meter (names <c>tether.cluster.*</c>).</summary>
internal sealed class ClusterMetrics
{
    public ClusterMetrics(Meter meter)
    {
        RedisUnavailable = meter.CreateCounter<long>("tether.cluster.redis_unavailable", "{operation}", "Operations that failed fast because Redis was not connected or did not answer in time, by operation");
        PublishFailures = meter.CreateCounter<long>("tether.cluster.publish_failures", "{message}", "Fire-and-forget publishes (broadcasts, replacements, probes) that Redis did not take, by kind");
        DirectoryFailures = meter.CreateCounter<long>("tether.cluster.directory_failures", "{write}", "Client directory writes that failed (repaired by the next directory rewrite)");
        DirectoryRewrites = meter.CreateCounter<long>("tether.cluster.directory_rewrites", "{rewrite}", "Rewrites of this node's whole client directory (after a reconnect or a new Redis dataset)");
        RedisConnectionEvents = meter.CreateCounter<long>("tether.cluster.redis_connection_events", "{event}", "Redis connection lost and restored, by event");
        EpochChanges = meter.CreateCounter<long>("tether.cluster.epoch_changes", "{change}", "Times the node found the Redis dataset replaced (Redis restarted empty)");
        SubscriptionStalls = meter.CreateCounter<long>("tether.cluster.subscription_stalls", "{stall}", "Times the node's own probe did not come back through its subscription in time");
        SubscriptionRepairs = meter.CreateCounter<long>("tether.cluster.subscription_repairs", "{repair}", "Resubscriptions of every channel after a stall");
        MessagesRouted = meter.CreateCounter<long>("tether.cluster.messages_routed", "{message}", "Messages published to other nodes, by kind");
        MessagesReceived = meter.CreateCounter<long>("tether.cluster.messages_received", "{message}", "Messages received from other nodes, by kind");
        RemotePushes = meter.CreateCounter<long>("tether.cluster.remote_pushes", "{message}", "Pushes to client ids on other nodes by outcome: stored (in the client's session), duplicate (a retry that had got through), delivered (no session), failed, timeout, unknown (connected nowhere)");
        RemotePushRetries = meter.CreateCounter<long>("tether.cluster.remote_push_retries", "{attempt}", "Pushes tried again because the client's node did not answer or the client was moving between nodes");
        BroadcastGapsFilled = meter.CreateCounter<long>("tether.cluster.broadcast_gaps_filled", "{gap}", "Broadcasts the subscription lost and the node read back from the broadcast log");
        BroadcastsCaughtUp = meter.CreateCounter<long>("tether.cluster.broadcasts_caught_up", "{message}", "Broadcasts given to sessions that resumed here after missing them on another node");
        BroadcastCatchUpFailures = meter.CreateCounter<long>("tether.cluster.broadcast_catch_up_failures", "{session}", "Sessions whose catch-up on missed broadcasts could not be read from Redis (their connection closes with a retry-after)");
        RemoteReplacements = meter.CreateCounter<long>("tether.cluster.remote_replacements", "{connection}", "Connections closed because their client id connected on another node");
    }

    public Counter<long> RedisUnavailable { get; }

    public Counter<long> PublishFailures { get; }

    public Counter<long> DirectoryFailures { get; }

    public Counter<long> DirectoryRewrites { get; }

    public Counter<long> RedisConnectionEvents { get; }

    public Counter<long> EpochChanges { get; }

    public Counter<long> SubscriptionStalls { get; }

    public Counter<long> SubscriptionRepairs { get; }

    public Counter<long> MessagesRouted { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> RemoteReplacements { get; }

    public Counter<long> RemotePushes { get; }

    public Counter<long> BroadcastGapsFilled { get; }

    public Counter<long> BroadcastsCaughtUp { get; }

    public Counter<long> BroadcastCatchUpFailures { get; }

    public Counter<long> RemotePushRetries { get; }

    public static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
