using System.Buffers;

namespace Tether.Protocol;

/// <summary>The WELCOME frame: the server's decisions for this connection.</summary>
public sealed record WelcomeFrame
{
    private const int FixedBodyLength = 53;

    /// <summary>The protocol version chosen.</summary>
    public byte Version { get; init; } = ProtocolConstants.Version;

    /// <summary>The heartbeat interval both sides use, in milliseconds.</summary>
    public uint HeartbeatIntervalMs { get; init; }

    /// <summary>The heartbeat timeout both sides use, in milliseconds.</summary>
    public uint HeartbeatTimeoutMs { get; init; }

    /// <summary>Largest frame body the server accepts.</summary>
    public uint MaxFrameSize { get; init; } = ProtocolConstants.DefaultMaxFrameSize;

    /// <summary>The server-unique id of this connection.</summary>
    public ulong ConnectionId { get; init; }

    /// <summary>True when a reliable session is active on this connection.</summary>
    public bool SessionActive { get; init; }

    /// <summary>True when the session the client asked for was resumed.</summary>
    public bool Resumed { get; init; }

    /// <summary>The session id, or <see cref="SessionId.None"/>.</summary>
    public SessionId SessionId { get; init; }

    /// <summary>Highest sequence number the server received in order from the client in this session.</summary>
    public ulong LastReceivedSequence { get; init; }

    /// <summary>Why a requested resume was refused, or <see cref="SessionResetReason.None"/>.</summary>
    public SessionResetReason SessionResetReason { get; init; }

    /// <summary>With a reset, how many server-to-client messages are known lost; <see cref="ProtocolConstants.UnknownLostCount"/> when unknown.</summary>
    public uint LostCount { get; init; }

    /// <summary>The server's node name, for diagnostics.</summary>
    public string ServerId { get; init; } = string.Empty;

    /// <summary>TLV extension items.</summary>
    public IReadOnlyList<ExtensionItem> Extensions { get; init; } = [];

    /// <summary>The header flags this frame is written with.</summary>
    public WelcomeFlags Flags => (SessionActive ? WelcomeFlags.Session : WelcomeFlags.None) | (Resumed ? WelcomeFlags.Resumed : WelcomeFlags.None);

    /// <summary>Parses and validates the body of a WELCOME frame.</summary>
    public static WelcomeFrame Parse(in TetherFrame frame)
    {
        HelloFrame.RequireType(frame, FrameType.Welcome);
        var flags = (WelcomeFlags)frame.Flags;
        if ((flags & WelcomeFlags.Resumed) != 0 && (flags & WelcomeFlags.Session) == 0)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME has RESUMED without SESSION");
        }

        var reader = new WireReader(frame.Body);
        var version = reader.ReadByte();
        if (version == 0)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME names protocol version 0");
        }

        var interval = reader.ReadUInt32();
        var timeout = reader.ReadUInt32();
        if (interval == 0 || timeout == 0)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME has a zero heartbeat interval or timeout");
        }

        var maxFrame = reader.ReadUInt32();
        if (maxFrame < ProtocolConstants.MinMaxFrameSize)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"WELCOME announces a maximum frame size of {maxFrame}, below the minimum of {ProtocolConstants.MinMaxFrameSize}");
        }

        var connectionId = reader.ReadUInt64();
        var sessionId = reader.ReadSessionId();
        var lastSeq = reader.ReadUInt64();
        var resetReason = (SessionResetReason)reader.ReadUInt16();
        var lost = reader.ReadUInt32();
        var serverId = reader.ReadString(ProtocolConstants.MaxIdBytes, "server id");
        var extensions = reader.ReadExtensions();
        if ((flags & WelcomeFlags.Resumed) != 0 && resetReason != SessionResetReason.None)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME has RESUMED and a session reset reason");
        }

        if ((flags & WelcomeFlags.Session) != 0 && sessionId.IsNone)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME has SESSION but no session id");
        }

        return new WelcomeFrame
        {
            Version = version,
            HeartbeatIntervalMs = interval,
            HeartbeatTimeoutMs = timeout,
            MaxFrameSize = maxFrame,
            ConnectionId = connectionId,
            SessionActive = (flags & WelcomeFlags.Session) != 0,
            Resumed = (flags & WelcomeFlags.Resumed) != 0,
            SessionId = sessionId,
            LastReceivedSequence = lastSeq,
            SessionResetReason = resetReason,
            LostCount = lost,
            ServerId = serverId,
            Extensions = extensions,
        };
    }

    /// <summary>Writes the whole frame, header included.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var serverIdLength = WireWriter.Utf8Length(ServerId, ProtocolConstants.MaxIdBytes);
        var bodyLength = FixedBodyLength + serverIdLength + WireWriter.ExtensionsLength(Extensions);
        var total = ProtocolConstants.HeaderSize + bodyLength;
        var writer = new WireWriter(output.GetSpan(total));
        writer.WriteHeader(FrameType.Welcome, (byte)Flags, bodyLength);
        writer.WriteByte(Version);
        writer.WriteUInt32(HeartbeatIntervalMs);
        writer.WriteUInt32(HeartbeatTimeoutMs);
        writer.WriteUInt32(MaxFrameSize);
        writer.WriteUInt64(ConnectionId);
        writer.WriteSessionId(SessionId);
        writer.WriteUInt64(LastReceivedSequence);
        writer.WriteUInt16((ushort)SessionResetReason);
        writer.WriteUInt32(LostCount);
        writer.WriteString16(ServerId, serverIdLength);
        writer.WriteExtensions(Extensions);
        output.Advance(total);
    }
}
