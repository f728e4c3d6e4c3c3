using Tether.Protocol;

namespace Tether.Server;

// What an admin API asks of the server: the server as a whole (uptime, which node), and one client wherever it is in the
// cluster (its details, disconnecting it, a push that waits for its acknowledgement). Nothing here runs unless called.
public sealed partial class TetherServer
{
    /// <summary>When this server object was created (its uptime counts from here).</summary>
    public DateTimeOffset StartedAt => _startedAt;

    /// <summary>How long this server has been up, by its time provider.</summary>
    public TimeSpan Uptime => TimeProvider.GetUtcNow() - _startedAt;

    /// <summary>This node's configured name in a cluster (<see cref="Cluster.ScaleOutOptions.NodeName"/> or its default), or "local" for a single node.</summary>
    public string NodeName => Cluster?.Identity.Name ?? SingleNodeName;

    /// <summary>This node's id in a cluster (its name plus a per-process incarnation), or "local" for a single node.</summary>
    public string NodeId => Cluster?.Identity.Id ?? SingleNodeName;

    /// <summary>
    /// The details of <paramref name="clientId"/>: from this node when it holds the client's connection (or detached
    /// session), else, in a cluster, from the node it is connected to. Null when it is connected nowhere. In a cluster it
    /// throws <see cref="TetherException"/> when Redis is unavailable and <see cref="TimeoutException"/> when the
    /// client's node does not answer within <see cref="Cluster.ScaleOutOptions.RemoteSendTimeout"/>.
    /// </summary>
    public async Task<ClientDetails?> GetClientDetailsAsync(string clientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (LocalClientDetails(clientId) is { } local)
        {
            return local;
        }

        return await RemoteNodeOfAsync(clientId, cancellationToken).ConfigureAwait(false) is { } node
            ? await Routing!.Admin.GetDetailsAsync(node, clientId, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// Closes the connection of <paramref name="clientId"/> with <paramref name="code"/> and <paramref name="reason"/>,
    /// on this node or, in a cluster, on the node it is connected to. False when it is connected nowhere. Its session,
    /// if any, stays (the client may resume it). Throws as <see cref="GetClientDetailsAsync"/> does.
    /// </summary>
    public async Task<bool> DisconnectClientAsync(string clientId, CloseCode code = CloseCode.Normal, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (await DisconnectLocalAsync(clientId, code, reason).ConfigureAwait(false))
        {
            return true;
        }

        return await RemoteNodeOfAsync(clientId, cancellationToken).ConfigureAwait(false) is { } node
            && await Routing!.Admin.DisconnectAsync(node, clientId, code, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="message"/> into the reliable session of <paramref name="clientId"/> (connected or
    /// detached, on this node or, in a cluster, on the node it is connected to) and waits up to
    /// <paramref name="timeout"/> for the client to acknowledge it. Says why not otherwise: no connection or session
    /// anywhere, connected without a session (nothing sent), session lost, or timed out (the message stays in the
    /// session). Ordinary sends never pay for this: only this call waits. Throws as
    /// <see cref="GetClientDetailsAsync"/> does when the client's node cannot be asked.
    /// </summary>
    public async Task<AcknowledgedSend> SendToClientAndWaitForAckAsync(string clientId, ReadOnlyMemory<byte> message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (LocalSessionFor(clientId, out var session) is { } local)
        {
            return local == AcknowledgedSend.Acknowledged
                ? await WaitForAckAsync(session!, message, timeout, cancellationToken).ConfigureAwait(false)
                : local;
        }

        return await RemoteNodeOfAsync(clientId, cancellationToken).ConfigureAwait(false) is { } node
            ? await Routing!.Admin.SendAndWaitForAckAsync(node, clientId, message, timeout, cancellationToken).ConfigureAwait(false)
            : AcknowledgedSend.UnknownClient;
    }

    /// <summary>The details of a client this node holds (an open connection, or else a session), or null.</summary>
    internal ClientDetails? LocalClientDetails(string clientId)
    {
        if (Connections.TryGetByClientId(clientId, out var connection) && connection.State == ConnectionState.Open)
        {
            return ClientDetails.Of(connection, NodeName, NodeId, TimeProvider.GetUtcNow());
        }

        return Sessions.TryGetByClientId(clientId, out var session) && !session.IsLost
            ? ClientDetails.Of(session, NodeName, NodeId)
            : null;
    }

    /// <summary>Closes this node's open connection of <paramref name="clientId"/>; false when it has none.</summary>
    internal async Task<bool> DisconnectLocalAsync(string clientId, CloseCode code, string? reason)
    {
        if (!Connections.TryGetByClientId(clientId, out var connection) || connection.State != ConnectionState.Open)
        {
            return false;
        }

        await connection.CloseAsync(code, reason).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// This node's part of <see cref="SendToClientAndWaitForAckAsync"/>: <see cref="AcknowledgedSend.Acknowledged"/>
    /// with the session to send into, <see cref="AcknowledgedSend.NoSession"/> for a connection without one, null when
    /// this node holds neither.
    /// </summary>
    internal AcknowledgedSend? LocalSessionFor(string clientId, out TetherSession? session)
    {
        session = null;
        if (Connections.TryGetByClientId(clientId, out var connection) && connection.State == ConnectionState.Open)
        {
            session = connection.Session;
            return session is null ? AcknowledgedSend.NoSession : AcknowledgedSend.Acknowledged;
        }

        if (Sessions.TryGetByClientId(clientId, out var held) && !held.IsLost && held.Core.Persistence is not Cluster.SessionRecord { IsActive: false })
        {
            session = held;
            return AcknowledgedSend.Acknowledged;
        }

        return null;
    }

    internal async Task<AcknowledgedSend> WaitForAckAsync(TetherSession session, ReadOnlyMemory<byte> message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await session.SendAndWaitForAckAsync(message, linked.Token).ConfigureAwait(false);
            return AcknowledgedSend.Acknowledged;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return AcknowledgedSend.TimedOut;
        }
        catch (TetherException) when (session.IsLost)
        {
            return AcknowledgedSend.SessionLost;
        }
    }

    // The node (id) another client id is connected to in a cluster; null on a single node, or when it is connected nowhere.
    private async Task<string?> RemoteNodeOfAsync(string clientId, CancellationToken cancellationToken)
    {
        if (Routing is null)
        {
            return null;
        }

        var location = await Routing.Presence.LocateAsync(clientId, cancellationToken).ConfigureAwait(false);
        return location is null || location.NodeId == NodeId ? null : location.NodeId;
    }
}
