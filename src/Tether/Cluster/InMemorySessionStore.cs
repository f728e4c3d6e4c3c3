using Tether.Protocol;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>A single node: sessions live in this process only, exactly as without a store.</summary>
internal sealed class InMemorySessionStore : SessionStore
{
    public static readonly InMemorySessionStore Instance = new();

    private InMemorySessionStore()
    {
    }

    public override bool IsDurable => false;

    public override ValueTask CreateAsync(TetherSession session) => ValueTask.CompletedTask;

    public override ValueTask<SessionClaim> ClaimAsync(SessionId id, ulong peerLastReceived) => ValueTask.FromResult(SessionClaim.Unknown);

    public override ValueTask LoseClaimedAsync(SessionClaim claim, string reason, long lostMessages) => ValueTask.CompletedTask;

    public override void Adopt(TetherSession session, SessionClaim claim, ulong peerLastReceived) =>
        throw new InvalidOperationException("an in-memory store claims nothing");

    public override void OnDetached(TetherSession session)
    {
    }

    public override ValueTask<DetachedAppend> TrySendToDetachedAsync(string clientId, ReadOnlyMemory<byte> message, string pushId, string deadNode, CancellationToken cancellationToken) =>
        ValueTask.FromResult(DetachedAppend.NoSession);
}
