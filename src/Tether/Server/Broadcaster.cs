using System.Buffers;
using Tether.Link;
using Tether.Protocol;

namespace Tether.Server;

/// <summary>
/// Sends one message to every connection and session of a server (<see cref="TetherServer.Broadcast"/>): the DATA
/// frame is encoded once into a pooled buffer and walked over the registries by one or two
/// <see cref="BroadcastPass"/>es, which are kept for the next broadcast so that a broadcast allocates nothing for them.
/// </summary>
internal sealed class Broadcaster : IDisposable
{
    private readonly TetherServer _server;
    private BroadcastPass? _callerPass;
    private BroadcastPass? _helperPass;

    public Broadcaster(TetherServer server) => _server = server;

    /// <summary>From this many connections and sessions on, a broadcast sends from two threads; tests lower it.</summary>
    public int ParallelThreshold { get; set; } = 2_048;

    /// <summary>
    /// Returns how many connections and sessions took the message. <paramref name="clusterId"/> is the broadcast's
    /// position in the cluster's broadcast log (0 outside a cluster): a session takes each position once.
    /// </summary>
    public int Send(ReadOnlySpan<byte> message, ulong clusterId = 0)
    {
        var connections = _server.Connections;
        var sessions = _server.Sessions;
        var frameLength = FrameWriter.DataLength(message.Length);
        var frame = ArrayPool<byte>.Shared.Rent(frameLength);

        // Taken, not shared: a broadcast that overlaps another one builds its own passes.
        var caller = Interlocked.Exchange(ref _callerPass, null) ?? new BroadcastPass(_server);
        var helper = connections.Count + sessions.Count >= ParallelThreshold && Environment.ProcessorCount > 1
            ? Interlocked.Exchange(ref _helperPass, null) ?? new BroadcastPass(_server)
            : null;
        try
        {
            var headerLength = FrameWriter.WriteDataHeader(frame, message.Length, DataFlags.None, 0, 0);
            message.CopyTo(frame.AsSpan(headerLength));
            var connectionSlots = connections.Slots;
            var sessionSlots = sessions.Slots;
            if (helper is null)
            {
                caller.Prepare(frame, headerLength, message.Length, connectionSlots, .., sessionSlots, .., clusterId);
                caller.Run();
            }
            else
            {
                // Halves of the slot arrays, not of the entries: a table is at most half full and its entries spread
                // by hash, so each half holds about half of them.
                var connectionHalf = connectionSlots.Length / 2;
                var sessionHalf = sessionSlots.Length / 2;
                helper.Prepare(frame, headerLength, message.Length, connectionSlots, connectionHalf.., sessionSlots, sessionHalf.., clusterId);
                helper.Start();
                caller.Prepare(frame, headerLength, message.Length, connectionSlots, ..connectionHalf, sessionSlots, ..sessionHalf, clusterId);
                try
                {
                    caller.Run();
                }
                finally
                {
                    // The helper reads the pooled frame: it must be done before the frame goes back.
                    helper.Join();
                }
            }

            var connectionsDelivered = caller.ConnectionsDelivered + (helper?.ConnectionsDelivered ?? 0);
            var tooLarge = caller.TooLarge + (helper?.TooLarge ?? 0);
            var metrics = _server.Metrics;
            metrics.MessagesSent.Add(connectionsDelivered);
            metrics.FramesSent.Add(connectionsDelivered);
            if (tooLarge > 0)
            {
                // Not silent: the count comes back short, and the log and metric say why.
                metrics.LimitRejections.Add(tooLarge, new KeyValuePair<string, object?>("limit", "peer-max-frame-size"));
                _server.Log.BroadcastTooLarge(message.Length, tooLarge);
            }

            return connectionsDelivered + caller.SessionsDelivered + (helper?.SessionsDelivered ?? 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
            Volatile.Write(ref _callerPass, caller);
            if (helper is not null)
            {
                Volatile.Write(ref _helperPass, helper);
            }
        }
    }

    /// <summary>
    /// Sends one message to the connections (or sessions) of the given client ids, the DATA frame encoded once (and once
    /// per plain framing): a group's delivery on this node. Nobody is waited for: a connection over its outbound limit
    /// is closed as a slow consumer, a session gets its slow-consumer policy. Returns how many took it.
    /// </summary>
    public int SendToClients(ReadOnlySpan<byte> message, IReadOnlyList<string> clientIds)
    {
        if (clientIds.Count == 0)
        {
            return 0;
        }

        var frame = ArrayPool<byte>.Shared.Rent(FrameWriter.DataLength(message.Length));
        BroadcastEncodings? plainFrames = null;
        try
        {
            var headerLength = FrameWriter.WriteDataHeader(frame, message.Length, DataFlags.None, 0, 0);
            message.CopyTo(frame.AsSpan(headerLength));
            var encoded = frame.AsSpan(0, headerLength + message.Length);
            var delivered = 0;
            var connectionsDelivered = 0;
            var tooLarge = 0;
            foreach (var clientId in clientIds)
            {
                if (_server.Connections.TryGetByClientId(clientId, out var connection) && connection.Session is null)
                {
                    ReadOnlySpan<byte> bytes = encoded;
                    var index = connection.ListenerIndex;
                    if (_server.ListenerAt(index).Plain is { } plain)
                    {
                        plainFrames ??= new BroadcastEncodings(_server.ListenerCount);
                        if (!plainFrames.TryGet(index, plain.Framing, message, out bytes))
                        {
                            tooLarge++;
                            continue;
                        }
                    }

                    switch (connection.TrySendEncoded(bytes))
                    {
                        case SendResult.Queued:
                            connectionsDelivered++;
                            break;
                        case SendResult.Full:
                            _server.CloseSlowConsumer(connection, connection.PendingOutboundBytes, _server.Options.MaxPendingOutboundBytes);
                            break;
                        case SendResult.TooLarge:
                            tooLarge++;
                            break;
                    }
                }
                else if ((connection?.Session ?? (_server.Sessions.TryGetByClientId(clientId, out var session) ? session : null)) is { IsLost: false } target)
                {
                    if (message.Length > target.Core.MaxPayload)
                    {
                        tooLarge++;
                    }
                    else if (target.TrySendBroadcast(message, clusterId: 0))
                    {
                        delivered++;
                    }
                }
            }

            _server.Metrics.MessagesSent.Add(connectionsDelivered);
            _server.Metrics.FramesSent.Add(connectionsDelivered);
            if (tooLarge > 0)
            {
                _server.Metrics.LimitRejections.Add(tooLarge, new KeyValuePair<string, object?>("limit", "peer-max-frame-size"));
                _server.Log.BroadcastTooLarge(message.Length, tooLarge);
            }

            return delivered + connectionsDelivered;
        }
        finally
        {
            plainFrames?.Dispose();
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _callerPass, null)?.Dispose();
        Interlocked.Exchange(ref _helperPass, null)?.Dispose();
    }
}
