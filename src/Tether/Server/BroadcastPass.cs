using System.Runtime.ExceptionServices;
using Tether.Link;

namespace Tether.Server;

/// <summary>
/// One broadcast's walk over a range of the registries' slots: the encoded frame to every connection without a
/// session, the message to every session. A broadcast to many connections runs two passes at once, one on the caller's
/// thread and one on a pool thread: a loopback or LAN send is mostly the kernel's work, so two senders reach everyone
/// sooner (docs/benchmarks.md, "Where the time and memory go"). Passes are reused, so a broadcast allocates nothing
/// for them.
/// </summary>
internal sealed class BroadcastPass : IThreadPoolWorkItem, IDisposable
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Claimed = 2;

    private readonly TetherServer _server;
    private readonly ManualResetEventSlim _finished = new(initialState: false, spinCount: 0);
    private byte[] _frame = [];
    private int _headerLength;
    private int _messageLength;
    private object?[] _connections = [];
    private int _connectionStart;
    private int _connectionEnd;
    private object?[] _sessions = [];
    private int _sessionStart;
    private int _sessionEnd;
    private ulong _clusterId;
    private int _state;
    private Exception? _failure;

    public BroadcastPass(TetherServer server) => _server = server;

    /// <summary>Connections without a session that took the frame.</summary>
    public int ConnectionsDelivered { get; private set; }

    /// <summary>Sessions that took the message.</summary>
    public int SessionsDelivered { get; private set; }

    /// <summary>Receivers skipped because their maximum frame size (or their framing) cannot carry the message.</summary>
    public int TooLarge { get; private set; }

    /// <summary>Sets what to send (a DATA frame in <paramref name="frame"/>, the message after its header) and to whom.</summary>
    public void Prepare(byte[] frame, int headerLength, int messageLength, object?[] connections, Range connectionRange, object?[] sessions, Range sessionRange, ulong clusterId)
    {
        _clusterId = clusterId;
        _frame = frame;
        _headerLength = headerLength;
        _messageLength = messageLength;
        _connections = connections;
        (_connectionStart, var connectionCount) = connectionRange.GetOffsetAndLength(connections.Length);
        _connectionEnd = _connectionStart + connectionCount;
        _sessions = sessions;
        (_sessionStart, var sessionCount) = sessionRange.GetOffsetAndLength(sessions.Length);
        _sessionEnd = _sessionStart + sessionCount;
    }

    /// <summary>Runs the pass on a pool thread; <see cref="Join"/> waits for it (or runs it, if no thread took it yet).</summary>
    public void Start()
    {
        // Reset before the state opens: a work item left over from an earlier pass that the caller ran itself may
        // still be queued, and once it sees Idle it may run this pass and set the event; a reset after that would
        // leave Join waiting for good.
        _failure = null;
        _finished.Reset();
        Volatile.Write(ref _state, Idle);
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Waits for a started pass. If no pool thread has picked it up yet, the caller runs it: a busy pool never stalls a broadcast.</summary>
    public void Join()
    {
        if (Interlocked.CompareExchange(ref _state, Claimed, Idle) == Idle)
        {
            Run();
            return;
        }

        _finished.Wait();
        if (_failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
        {
            return;
        }

        try
        {
            Run();
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
        finally
        {
            _finished.Set();
        }
    }

    public void Dispose() => _finished.Dispose();

    /// <summary>Sends to the prepared ranges on this thread.</summary>
    public void Run()
    {
        ConnectionsDelivered = 0;
        SessionsDelivered = 0;
        TooLarge = 0;
        BroadcastEncodings? plainFrames = null;
        try
        {
            SendToConnections(ref plainFrames);
            SendToSessions();
        }
        finally
        {
            plainFrames?.Dispose();
            _frame = [];
            _connections = [];
            _sessions = [];
        }
    }

    private void SendToConnections(ref BroadcastEncodings? plainFrames)
    {
        var encoded = _frame.AsSpan(0, _headerLength + _messageLength);
        var message = _frame.AsSpan(_headerLength, _messageLength);
        for (var i = _connectionStart; i < _connectionEnd; i++)
        {
            if (ConnectionRegistry.At(_connections, i) is not { Session: null } connection)
            {
                continue;
            }

            ReadOnlySpan<byte> bytes = encoded;
            var index = connection.ListenerIndex;
            if (_server.ListenerAt(index).Plain is { } plain)
            {
                plainFrames ??= new BroadcastEncodings(_server.ListenerCount);
                if (!plainFrames.TryGet(index, plain.Framing, message, out bytes))
                {
                    TooLarge++;
                    continue;
                }
            }

            switch (connection.TrySendEncoded(bytes))
            {
                case SendResult.Queued:
                    ConnectionsDelivered++;
                    break;
                case SendResult.Full:
                    _server.CloseSlowConsumer(connection, connection.PendingOutboundBytes, _server.Options.MaxPendingOutboundBytes);
                    break;
                case SendResult.TooLarge:
                    TooLarge++;
                    break;
            }
        }
    }

    private void SendToSessions()
    {
        var message = _frame.AsSpan(_headerLength, _messageLength);
        for (var i = _sessionStart; i < _sessionEnd; i++)
        {
            if (SessionRegistry.At(_sessions, i) is not { } session)
            {
                continue;
            }

            if (message.Length > session.Core.MaxPayload)
            {
                TooLarge++;
            }
            else if (session.TrySendBroadcast(message, _clusterId))
            {
                SessionsDelivered++;
            }
        }
    }
}
