using System.Buffers;
using System.Diagnostics;
using Tether.Protocol;

namespace Tether.LoadGen.Net;

/// <summary>What a lean Tether connection does with each received DATA payload.</summary>
internal interface ITetherReceiver
{
    /// <summary>
    /// A DATA payload arrived (a view of the receive buffer, valid during the call). Runs on the receive loop; may write
    /// to the connection, which flushes after the batch.
    /// </summary>
    void OnData(TetherLeanConnection connection, in ReadOnlySequence<byte> payload, long now);
}

/// <summary>The HELLO every lean Tether connection of a run sends, encoded once.</summary>
internal sealed class TetherProfile
{
    public TetherProfile(bool sessions, TimeSpan heartbeat, int maxFrameSize = ProtocolConstants.DefaultMaxFrameSize)
    {
        Sessions = sessions;
        MaxFrameSize = maxFrameSize;
        var hello = new HelloFrame
        {
            RequestSession = sessions,
            HeartbeatIntervalMs = (uint)Math.Clamp(heartbeat.TotalMilliseconds, 1, uint.MaxValue),
            MaxFrameSize = (uint)maxFrameSize,
        };
        var writer = new ArrayBufferWriter<byte>(64);
        hello.Write(writer);
        Hello = writer.WrittenSpan.ToArray();
        var close = new ArrayBufferWriter<byte>(16);
        new CloseFrame { Code = CloseCode.Normal }.Write(close);
        Close = close.WrittenSpan.ToArray();
    }

    /// <summary>True when HELLO asks for a session.</summary>
    public bool Sessions { get; }

    /// <summary>The largest DATA body announced in HELLO.</summary>
    public int MaxFrameSize { get; }

    /// <summary>The encoded HELLO.</summary>
    public byte[] Hello { get; }

    /// <summary>The encoded CLOSE 1000 NORMAL.</summary>
    public byte[] Close { get; }
}

/// <summary>
/// The Tether protocol on a <see cref="LeanConnection"/>, with the codec of Tether.Protocol: HELLO (SESSION unless
/// tether-nosession, proposing the --heartbeat interval), WELCOME, PONG for every PING, a PING after the decided interval
/// of sending nothing; in a session every DATA carries SEQ (and ACK when there is something new to acknowledge), and an
/// ACK frame goes out after 32 received messages, or 200 ms after the first unacknowledged one, when no DATA carries it.
/// No replay buffer: a load generator never resumes.
/// </summary>
internal sealed class TetherLeanConnection : LeanConnection
{
    private const int AckAfterMessages = 32;

    private readonly TetherProfile _profile;
    private readonly ITetherReceiver? _receiver;
    private int _maxBody = ProtocolConstants.HandshakeMaxBodySize;
    private int _peerMaxBody = ProtocolConstants.MinMaxFrameSize;
    private bool _session;
    private ulong _sent;
    private ulong _received;
    private ulong _acknowledged;
    private int _ackRequested;

    public TetherLeanConnection(LeanContext context, TetherProfile profile, ITetherReceiver? receiver, int receiveBuffer, int sendBuffer)
        : base(context, receiveBuffer, sendBuffer)
    {
        _profile = profile;
        _receiver = receiver;
    }

    /// <summary>True when the server granted a session.</summary>
    public bool SessionActive => _session;

    /// <summary>The largest DATA body the server accepts.</summary>
    public int PeerMaxBody => _peerMaxBody;

    /// <summary>Writes one DATA frame (with SEQ, and ACK if anything new arrived, in a session) without flushing.</summary>
    public void WriteDataLocked(ReadOnlySpan<byte> payload)
    {
        var flags = DataFlags.None;
        var received = Volatile.Read(ref _received);
        if (_session)
        {
            flags = DataFlags.Sequence;
            if (received > _acknowledged)
            {
                flags |= DataFlags.Ack;
            }
        }

        var length = FrameWriter.DataLength(payload.Length, flags);
        var span = ReserveLocked(length);
        var header = FrameWriter.WriteDataHeader(span, payload.Length, flags, _session ? ++_sent : 0, received);
        payload.CopyTo(span[header..]);
        CommitLocked(length);
        if ((flags & DataFlags.Ack) != 0)
        {
            _acknowledged = received;
        }
    }

    /// <summary>Writes one DATA frame and flushes (for senders outside the receive loop).</summary>
    public void SendData(ReadOnlySpan<byte> payload)
    {
        lock (SendLock)
        {
            WriteDataLocked(payload);
        }

        Flush();
    }

    /// <summary>The lock to hold around <see cref="WriteDataLocked"/>.</summary>
    public Lock WriteLock => SendLock;

    public override void OnAckTimer()
    {
        Volatile.Write(ref _ackRequested, 0);
        if (IsOpen && Volatile.Read(ref _received) > Volatile.Read(ref _acknowledged))
        {
            SendAck();
        }
    }

    protected override async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        Send(_profile.Hello);
        while (true)
        {
            var length = await ReceiveHandshakeAsync(cancellationToken).ConfigureAwait(false);
            if (length == 0)
            {
                throw new HandshakeException("eof-before-welcome", retry: true);
            }

            var buffer = new ReadOnlySequence<byte>(ReceiveBuffer, 0, length);
            if (!TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                continue;
            }

            var frameLength = frame.EncodedLength;
            switch (frame.Type)
            {
                case FrameType.Welcome:
                    var welcome = WelcomeFrame.Parse(frame);
                    ConsumeReceived(frameLength);
                    if (welcome.SessionActive && !_profile.Sessions)
                    {
                        throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME has SESSION although HELLO did not ask for one");
                    }

                    _session = welcome.SessionActive;
                    _maxBody = _profile.MaxFrameSize;
                    _peerMaxBody = (int)Math.Min(welcome.MaxFrameSize, int.MaxValue - 64);
                    HeartbeatTicks = (long)(welcome.HeartbeatIntervalMs / 1000.0 * Stopwatch.Frequency);
                    return;
                case FrameType.Close:
                    var close = CloseFrame.Parse(frame);
                    throw new HandshakeException("close-" + close.Code.ToEventName(), close.Code.AllowsReconnect());
                default:
                    throw new TetherProtocolException(CloseCode.ProtocolError, $"the server's first frame is {frame.Type}, not WELCOME");
            }
        }
    }

    protected override int Process(byte[] buffer, int length, long now)
    {
        var input = new ReadOnlySequence<byte>(buffer, 0, length);
        while (IsOpen && TetherFrame.TryRead(ref input, _maxBody, out var frame))
        {
            switch (frame.Type)
            {
                case FrameType.Data:
                    OnData(frame, now);
                    break;
                case FrameType.Ping:
                    var value = frame.ReadUInt64Body();
                    lock (SendLock)
                    {
                        FrameWriter.WriteUInt64Frame(ReserveLocked(FrameWriter.UInt64FrameLength), FrameType.Pong, value);
                        CommitLocked(FrameWriter.UInt64FrameLength);
                    }

                    Context.Stats.OnPingAnswered();
                    break;
                case FrameType.Pong:
                    Context.Stats.OnHeartbeatAnswered();
                    break;
                case FrameType.Ack:
                    if (!_session)
                    {
                        throw new TetherProtocolException(CloseCode.ProtocolError, "ACK outside a session");
                    }

                    break;
                case FrameType.GoAway:
                    GoAwayFrame.Parse(frame);
                    Close();
                    Context.Stats.OnDisconnected("goaway");
                    break;
                case FrameType.Close:
                    var close = CloseFrame.Parse(frame);
                    End("close-" + close.Code.ToEventName());
                    break;
                case FrameType.Hello or FrameType.Welcome:
                    throw new TetherProtocolException(CloseCode.ProtocolError, $"unexpected {frame.Type} after the handshake");
                default:
                    // Extension frames (0x40-0x7F) are skipped.
                    break;
            }
        }

        return length - (int)input.Length;
    }

    protected override void AfterBatch(long now)
    {
        if (!_session)
        {
            return;
        }

        var pending = Volatile.Read(ref _received) - Volatile.Read(ref _acknowledged);
        if (pending >= AckAfterMessages)
        {
            SendAck();
        }
        else if (pending > 0 && Interlocked.Exchange(ref _ackRequested, 1) == 0)
        {
            Context.Wheel.RequestAck(this);
        }
    }

    protected override void SendHeartbeat(long now)
    {
        lock (SendLock)
        {
            FrameWriter.WriteUInt64Frame(ReserveLocked(FrameWriter.UInt64FrameLength), FrameType.Ping, (ulong)now);
            CommitLocked(FrameWriter.UInt64FrameLength);
        }

        Flush();
        Context.Stats.OnHeartbeatSent();
    }

    protected override void WriteGoodbyeLocked()
    {
        WriteAckLocked();
        AppendLocked(_profile.Close);
    }

    private void OnData(in TetherFrame frame, long now)
    {
        var data = DataFrame.Parse(frame);
        if (_session)
        {
            if (!data.HasSequence)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, "DATA without SEQ in a session");
            }

            var expected = _received + 1;
            if (data.Sequence < expected)
            {
                return;
            }

            if (data.Sequence > expected)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"sequence gap: expected {expected}, got {data.Sequence}");
            }

            Volatile.Write(ref _received, expected);
        }
        else if (data.Flags != DataFlags.None)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "DATA with SEQ or ACK outside a session");
        }

        _receiver?.OnData(this, data.Payload, now);
    }

    private void SendAck()
    {
        lock (SendLock)
        {
            WriteAckLocked();
        }

        Flush();
    }

    private void WriteAckLocked()
    {
        var received = Volatile.Read(ref _received);
        if (!_session || received <= _acknowledged)
        {
            return;
        }

        FrameWriter.WriteUInt64Frame(ReserveLocked(FrameWriter.UInt64FrameLength), FrameType.Ack, received);
        CommitLocked(FrameWriter.UInt64FrameLength);
        _acknowledged = received;
    }
}
