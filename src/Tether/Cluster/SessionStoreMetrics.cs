using System.Diagnostics.Metrics;

namespace Tether.Cluster;

/// <summary>The session store's instruments, on the server's meter.</summary>
internal sealed class SessionStoreMetrics
{
    public SessionStoreMetrics(Meter meter)
    {
        Created = meter.CreateCounter<long>("tether.cluster.sessions.created", "{session}", "Sessions stored in Redis when they started.");
        Claimed = meter.CreateCounter<long>("tether.cluster.sessions.claimed", "{session}", "Sessions resumed from Redis (on any node).");
        Released = meter.CreateCounter<long>("tether.cluster.sessions.released", "{session}", "Sessions handed back to Redis when their client left.");
        Fenced = meter.CreateCounter<long>("tether.cluster.sessions.fenced", "{session}", "Sessions dropped here because another node took them.");
        Vanished = meter.CreateCounter<long>("tether.cluster.sessions.vanished", "{session}", "Sessions ended here because Redis lost their record and it could not be restored from memory (a tombstone says it was ended); their clients resume into a reported reset.");
        Refused = meter.CreateCounter<long>("tether.cluster.sessions.refused", "{connection}", "Session handshakes refused with SERVER_BUSY because Redis was unavailable.");
        Failures = meter.CreateCounter<long>("tether.cluster.store.failures", "{operation}", "Redis operations of the session store that failed or timed out, tagged with operation.");
        Appends = meter.CreateCounter<long>("tether.cluster.store.appends", "{message}", "Reliable messages appended to Redis.");
        Restored = meter.CreateCounter<long>("tether.cluster.sessions.restored", "{session}", "Sessions written back to Redis from this node's memory after Redis lost them (it restarted without its data).");
        RestoreFailures = meter.CreateCounter<long>("tether.cluster.sessions.restore_failures", "{session}", "Restores of sessions to Redis that failed (Redis away again); each is retried at the next reconnect.");
    }

    public Counter<long> Created { get; }

    public Counter<long> Claimed { get; }

    public Counter<long> Released { get; }

    public Counter<long> Fenced { get; }

    public Counter<long> Vanished { get; }

    public Counter<long> Refused { get; }

    public Counter<long> Failures { get; }

    public Counter<long> Appends { get; }

    public Counter<long> Restored { get; }

    public Counter<long> RestoreFailures { get; }
}
