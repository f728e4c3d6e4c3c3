using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// Admin requests about a client connected to another node, over that node's inbox, and this node's answers to them:
/// its details, a disconnect, a push that waits for the client's acknowledgement. A request is
/// <c>[request number: 8 bytes][operation: 1 byte][operation's arguments]</c>, an answer
/// <c>[request number: 8 bytes][status: 1 byte][result]</c>. Nothing runs here unless an admin call is made.
/// </summary>
internal sealed class RemoteAdmin
{
    private const int RequestBytes = sizeof(long);

    private readonly TetherServer _server;
    private readonly ClusterNode _node;
    private readonly ClusterRouting _routing;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ReadOnlyMemory<byte>>> _waiting = new();
    private long _lastRequest;

    public RemoteAdmin(TetherServer server, ClusterNode node, ClusterRouting routing)
    {
        _server = server;
        _node = node;
        _routing = routing;
    }

    private enum Operation : byte
    {
        Details = 1,
        Disconnect = 2,
        SendAndWaitForAck = 3,
    }

    private enum Status : byte
    {
        Answered = 0,

        // The client left that node meanwhile.
        NotHere = 1,
        Failed = 2,
    }

    public async Task<ClientDetails?> GetDetailsAsync(string nodeId, string clientId, CancellationToken cancellationToken)
    {
        var (status, result) = await AskAsync(nodeId, clientId, Operation.Details, ReadOnlyMemory<byte>.Empty, _node.Options.RemoteSendTimeout, cancellationToken).ConfigureAwait(false);
        return status == Status.Answered ? ClientDetailsCodec.Decode(result.Span) : null;
    }

    public async Task<bool> DisconnectAsync(string nodeId, string clientId, CloseCode code, string? reason, CancellationToken cancellationToken)
    {
        var arguments = new byte[sizeof(ushort) + Encoding.UTF8.GetByteCount(reason ?? string.Empty)];
        BinaryPrimitives.WriteUInt16BigEndian(arguments, (ushort)code);
        Encoding.UTF8.GetBytes(reason ?? string.Empty, arguments.AsSpan(sizeof(ushort)));
        var (status, _) = await AskAsync(nodeId, clientId, Operation.Disconnect, arguments, _node.Options.RemoteSendTimeout, cancellationToken).ConfigureAwait(false);
        return status == Status.Answered;
    }

    public async Task<AcknowledgedSend> SendAndWaitForAckAsync(string nodeId, string clientId, ReadOnlyMemory<byte> message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var arguments = new byte[sizeof(long) + message.Length];
        BinaryPrimitives.WriteInt64BigEndian(arguments, timeout.Ticks);
        message.Span.CopyTo(arguments.AsSpan(sizeof(long)));

        // The other node waits for the acknowledgement up to the timeout; its answer then needs a moment more.
        var (status, result) = await AskAsync(nodeId, clientId, Operation.SendAndWaitForAck, arguments, timeout + _node.Options.RemoteSendTimeout, cancellationToken).ConfigureAwait(false);
        return status == Status.Answered && result.Length == 1 ? (AcknowledgedSend)result.Span[0] : AcknowledgedSend.UnknownClient;
    }

    /// <summary>A request from another node, on the inbox's loop: answered off it.</summary>
    public void OnRequest(ClusterMessage message)
    {
        if (message.Payload.Length < RequestBytes + 1)
        {
            return;
        }

        _routing.Metrics.MessagesReceived.Add(1, ClusterMetrics.Tag("kind", "admin"));

        // The inbox's buffer is not ours beyond this call.
        var payload = message.Payload.ToArray();
        _ = AnswerAsync(message.Origin, message.Key, payload);
    }

    /// <summary>An answer to one of this node's requests.</summary>
    public void OnReply(ClusterMessage message)
    {
        var span = message.Payload.Span;
        if (span.Length < RequestBytes + 1)
        {
            return;
        }

        if (_waiting.TryGetValue(BinaryPrimitives.ReadInt64BigEndian(span), out var answer))
        {
            answer.TrySetResult(message.Payload[RequestBytes..].ToArray());
        }
    }

    private async Task<(Status Status, ReadOnlyMemory<byte> Result)> AskAsync(string nodeId, string clientId, Operation operation, ReadOnlyMemory<byte> arguments, TimeSpan wait, CancellationToken cancellationToken)
    {
        _routing.Calls.EnsureConnected("admin request");
        var request = Interlocked.Increment(ref _lastRequest);
        var payload = new byte[RequestBytes + 1 + arguments.Length];
        BinaryPrimitives.WriteInt64BigEndian(payload, request);
        payload[RequestBytes] = (byte)operation;
        arguments.Span.CopyTo(payload.AsSpan(RequestBytes + 1));

        var answer = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[request] = answer;
        try
        {
            _routing.PublishToNode(nodeId, new ClusterMessage(ClusterMessageKind.AdminRequest, _node.Identity.Id, clientId, payload));
            ReadOnlyMemory<byte> reply;
            try
            {
                reply = await answer.Task.WaitAsync(wait, _node.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"node {nodeId} did not answer about {clientId} within {wait.TotalSeconds:0.###} s");
            }

            var status = (Status)reply.Span[0];
            return status == Status.Failed
                ? throw new TetherException($"node {nodeId} could not do it: {Encoding.UTF8.GetString(reply.Span[1..])}")
                : (status, reply[1..]);
        }
        finally
        {
            _waiting.TryRemove(request, out _);
        }
    }

    private async Task AnswerAsync(string origin, string clientId, byte[] payload)
    {
        var request = BinaryPrimitives.ReadInt64BigEndian(payload);
        var arguments = payload.AsMemory(RequestBytes + 1);
        Status status;
        byte[] result;
        try
        {
            (status, result) = (Operation)payload[RequestBytes] switch
            {
                Operation.Details => _server.LocalClientDetails(clientId) is { } details
                    ? (Status.Answered, ClientDetailsCodec.Encode(details))
                    : (Status.NotHere, []),
                Operation.Disconnect => await DisconnectAsync(clientId, arguments).ConfigureAwait(false),
                Operation.SendAndWaitForAck => await SendAndWaitForAckAsync(clientId, arguments).ConfigureAwait(false),
                _ => (Status.Failed, Encoding.UTF8.GetBytes("unknown admin operation")),
            };
        }
        catch (Exception ex) when (ex is TetherException or ArgumentException)
        {
            (status, result) = (Status.Failed, Encoding.UTF8.GetBytes(ex.Message));
        }

        var reply = new byte[RequestBytes + 1 + result.Length];
        BinaryPrimitives.WriteInt64BigEndian(reply, request);
        reply[RequestBytes] = (byte)status;
        result.CopyTo(reply.AsSpan(RequestBytes + 1));
        _routing.PublishToNode(origin, new ClusterMessage(ClusterMessageKind.AdminReply, _node.Identity.Id, clientId, reply));
    }

    private async Task<(Status, byte[])> DisconnectAsync(string clientId, ReadOnlyMemory<byte> arguments)
    {
        var code = (CloseCode)BinaryPrimitives.ReadUInt16BigEndian(arguments.Span);
        var reason = Encoding.UTF8.GetString(arguments.Span[sizeof(ushort)..]);
        var done = await _server.DisconnectLocalAsync(clientId, code, reason.Length == 0 ? null : reason).ConfigureAwait(false);
        return (done ? Status.Answered : Status.NotHere, []);
    }

    private async Task<(Status, byte[])> SendAndWaitForAckAsync(string clientId, ReadOnlyMemory<byte> arguments)
    {
        var timeout = TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(arguments.Span));
        if (timeout <= TimeSpan.Zero || _server.LocalSessionFor(clientId, out var session) is not { } local)
        {
            return (Status.NotHere, []);
        }

        var outcome = local == AcknowledgedSend.Acknowledged
            ? await _server.WaitForAckAsync(session!, arguments[sizeof(long)..], timeout, CancellationToken.None).ConfigureAwait(false)
            : local;
        return (Status.Answered, [(byte)outcome]);
    }
}
