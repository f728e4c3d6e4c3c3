using Tether.Protocol;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// Where the server's session code keeps what must outlive this process: <see cref="InMemorySessionStore"/> for a
/// single node (nothing beyond memory, today's behaviour) and <see cref="RedisSessionStore"/> for a cluster node.
/// </summary>
internal abstract class SessionStore : IAsyncDisposable
{
    /// <summary>True when sessions live in a shared store (their progress is written there as it happens).</summary>
    public abstract bool IsDurable { get; }

    /// <summary>Starts listening for notices (after the cluster node connected).</summary>
    public virtual Task StartAsync() => Task.CompletedTask;

    /// <summary>Stores a new session before its WELCOME; throws <see cref="SessionStoreUnavailableException"/> when it cannot.</summary>
    public abstract ValueTask CreateAsync(TetherSession session);

    /// <summary>Takes a session this node does not hold from the store for a resume (durable stores only).</summary>
    public abstract ValueTask<SessionClaim> ClaimAsync(SessionId id, ulong peerLastReceived);

    /// <summary>A claimed session turned out not resumable (a gap): discard it in the store with a tombstone.</summary>
    public abstract ValueTask LoseClaimedAsync(SessionClaim claim, string reason, long lostMessages);

    /// <summary>Rebuilds <paramref name="session"/> from <paramref name="claim"/> and keeps it in the store from now on.</summary>
    public abstract void Adopt(TetherSession session, SessionClaim claim, ulong peerLastReceived);

    /// <summary>The session's connection ended (it is detached here).</summary>
    public abstract void OnDetached(TetherSession session);

    /// <summary>
    /// A reliable message to <paramref name="clientId"/>, whose session is held by no node (or by
    /// <paramref name="deadNode"/>, which then loses it: fenced, and expiring as a detached session): appended to it in
    /// the store (delivered when the client resumes anywhere), unless it has push <paramref name="pushId"/> already
    /// (empty: no push id), another node holds it, or there is no such session.
    /// </summary>
    public abstract ValueTask<DetachedAppend> TrySendToDetachedAsync(string clientId, ReadOnlyMemory<byte> message, string pushId, string deadNode, CancellationToken cancellationToken);

    /// <summary>For tests: forget every session at once and write nothing more, as if the process died.</summary>
    public virtual void Kill()
    {
    }

    /// <summary>Waits (bounded) for writes a leaving node still owes the store.</summary>
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
