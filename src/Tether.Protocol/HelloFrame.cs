using System.Buffers;

namespace Tether.Protocol;

/// <summary>The HELLO frame a client sends first: versions, heartbeat proposal, limits, identity and session resume.</summary>
public sealed record HelloFrame
{
    private const int FixedBodyLength = 46;

    private readonly bool _resumeFlag;

    /// <summary>Lowest protocol version the client speaks.</summary>
    public byte MinVersion { get; init; } = ProtocolConstants.Version;

    /// <summary>Highest protocol version the client speaks.</summary>
    public byte MaxVersion { get; init; } = ProtocolConstants.Version;

    /// <summary>Proposed heartbeat interval in milliseconds; 0 lets the server decide.</summary>
    public uint HeartbeatIntervalMs { get; init; }

    /// <summary>Proposed heartbeat timeout in milliseconds; 0 lets the server decide.</summary>
    public uint HeartbeatTimeoutMs { get; init; }

    /// <summary>Largest frame body the client accepts.</summary>
    public uint MaxFrameSize { get; init; } = ProtocolConstants.DefaultMaxFrameSize;

    /// <summary>True when the client asks for a reliable session.</summary>
    public bool RequestSession { get; init; }

    /// <summary>The session to resume, or <see cref="SessionId.None"/>.</summary>
    public SessionId ResumeSessionId { get; init; }

    /// <summary>Highest sequence number the client received in order in the resumed session.</summary>
    public ulong LastReceivedSequence { get; init; }

    /// <summary>The client id the peer presents; empty for anonymous.</summary>
    public string ClientId { get; init; } = string.Empty;

    /// <summary>Opaque authentication token; empty for none.</summary>
    public ReadOnlyMemory<byte> Token { get; init; }

    /// <summary>TLV extension items.</summary>
    public IReadOnlyList<ExtensionItem> Extensions { get; init; } = [];

    /// <summary>
    /// True when the client asks to resume <see cref="ResumeSessionId"/>: always when that is set, and also for a
    /// received HELLO whose RESUME flag names the all-zero id, which the server answers as an unknown session.
    /// </summary>
    public bool IsResume
    {
        get => _resumeFlag || !ResumeSessionId.IsNone;
        init => _resumeFlag = value;
    }

    /// <summary>The header flags this frame is written with.</summary>
    public HelloFlags Flags => (RequestSession || IsResume ? HelloFlags.Session : HelloFlags.None) | (IsResume ? HelloFlags.Resume : HelloFlags.None);

    /// <summary>Parses and validates the body of a HELLO frame.</summary>
    public static HelloFrame Parse(in TetherFrame frame)
    {
        RequireType(frame, FrameType.Hello);
        var flags = (HelloFlags)frame.Flags;
        if ((flags & HelloFlags.Resume) != 0 && (flags & HelloFlags.Session) == 0)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "HELLO has RESUME without SESSION");
        }

        var reader = new WireReader(frame.Body);
        if (reader.ReadUInt32() != ProtocolConstants.Magic)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "HELLO does not start with the magic \"TTHR\"");
        }

        var minVersion = reader.ReadByte();
        var maxVersion = reader.ReadByte();
        if (minVersion == 0 || minVersion > maxVersion)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"HELLO has an invalid version range {minVersion}-{maxVersion}");
        }

        var interval = reader.ReadUInt32();
        var timeout = reader.ReadUInt32();
        var maxFrame = reader.ReadUInt32();
        if (maxFrame < ProtocolConstants.MinMaxFrameSize)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"HELLO announces a maximum frame size of {maxFrame}, below the minimum of {ProtocolConstants.MinMaxFrameSize}");
        }

        var sessionId = reader.ReadSessionId();
        var lastSeq = reader.ReadUInt64();
        var resume = (flags & HelloFlags.Resume) != 0;
        var clientId = reader.ReadString(ProtocolConstants.MaxIdBytes, "client id");
        var token = reader.ReadBytes16(ProtocolConstants.MaxTokenBytes, "token");
        var extensions = reader.ReadExtensions();
        return new HelloFrame
        {
            MinVersion = minVersion,
            MaxVersion = maxVersion,
            HeartbeatIntervalMs = interval,
            HeartbeatTimeoutMs = timeout,
            MaxFrameSize = maxFrame,
            RequestSession = (flags & HelloFlags.Session) != 0,
            IsResume = resume,
            ResumeSessionId = resume ? sessionId : SessionId.None,
            LastReceivedSequence = resume ? lastSeq : 0,
            ClientId = clientId,
            Token = token,
            Extensions = extensions,
        };
    }

    /// <summary>Writes the whole frame, header included.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var clientIdLength = WireWriter.Utf8Length(ClientId, int.MaxValue);
        if (clientIdLength > ProtocolConstants.MaxIdBytes)
        {
            throw new ArgumentException($"a client id is at most {ProtocolConstants.MaxIdBytes} UTF-8 bytes", nameof(output));
        }

        if (Token.Length > ProtocolConstants.MaxTokenBytes)
        {
            throw new ArgumentException($"a token is at most {ProtocolConstants.MaxTokenBytes} bytes", nameof(output));
        }

        var bodyLength = FixedBodyLength + clientIdLength + Token.Length + WireWriter.ExtensionsLength(Extensions);
        var total = ProtocolConstants.HeaderSize + bodyLength;
        var writer = new WireWriter(output.GetSpan(total));
        writer.WriteHeader(FrameType.Hello, (byte)Flags, bodyLength);
        writer.WriteUInt32(ProtocolConstants.Magic);
        writer.WriteByte(MinVersion);
        writer.WriteByte(MaxVersion);
        writer.WriteUInt32(HeartbeatIntervalMs);
        writer.WriteUInt32(HeartbeatTimeoutMs);
        writer.WriteUInt32(MaxFrameSize);
        writer.WriteSessionId(ResumeSessionId);
        writer.WriteUInt64(IsResume ? LastReceivedSequence : 0);
        writer.WriteString16(ClientId, clientIdLength);
        writer.WriteUInt16((ushort)Token.Length);
        writer.WriteBytes(Token.Span);
        writer.WriteExtensions(Extensions);
        output.Advance(total);
    }

    internal static void RequireType(in TetherFrame frame, FrameType expected)
    {
        if (frame.Type != expected)
        {
            throw new ArgumentException($"expected a {expected} frame, got {frame.Type}", nameof(frame));
        }
    }
}
