using System.Buffers;
using System.Text;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Cli.Conformance;

/// <summary>
/// Builds the bytes of a frame a scenario sends: <c>{"hex": "..."}</c> verbatim, or a typed frame
/// (<c>{"type": "HELLO", ...fields}</c>) encoded with Tether.Protocol. <c>flags</c> overrides the header's flag byte,
/// so a scenario can send combinations the typed writers never produce (e.g. RESUME with an all-zero session id).
/// </summary>
internal sealed class FrameEncoder
{
    private static readonly HashSet<string> Common = ["type", "flags"];
    private readonly ScenarioVariables _variables;

    public FrameEncoder(ScenarioVariables variables) => _variables = variables;

    public byte[] Encode(JsonElement frame)
    {
        if (frame.TryGetProperty("hex", out var hex))
        {
            return Convert.FromHexString(_variables.Text(hex, "hex").Replace(" ", string.Empty, StringComparison.Ordinal));
        }

        if (!frame.TryGetProperty("type", out var typeElement))
        {
            throw new ScenarioFileException($"a frame needs \"type\" or \"hex\": {frame.GetRawText()}");
        }

        var type = FrameNames.Parse(typeElement);
        var fields = new FrameFields(frame, _variables);
        var output = new ArrayBufferWriter<byte>();
        byte flags;
        switch ((FrameType)type)
        {
            case FrameType.Hello:
                flags = EncodeHello(fields, output);
                break;
            case FrameType.Welcome:
                flags = EncodeWelcome(fields, output);
                break;
            case FrameType.Data:
                flags = EncodeData(fields, output);
                break;
            case FrameType.Ack or FrameType.Ping or FrameType.Pong:
                fields.Allow(type == (byte)FrameType.Ack ? "ack" : "value");
                FrameWriter.WriteUInt64Frame(output.GetSpan(FrameWriter.UInt64FrameLength), (FrameType)type, fields.UInt64(type == (byte)FrameType.Ack ? "ack" : "value", 0));
                output.Advance(FrameWriter.UInt64FrameLength);
                flags = 0;
                break;
            case FrameType.GoAway:
                fields.Allow("retryAfterMs", "drainMs", "reason", "alternateEndpoints");
                new GoAwayFrame
                {
                    RetryAfterMs = fields.UInt32("retryAfterMs", 0),
                    DrainMs = fields.UInt32("drainMs", 0),
                    Reason = fields.Text("reason", string.Empty),
                    Extensions = fields.Alternates(),
                }.Write(output);
                flags = 0;
                break;
            case FrameType.Close:
                fields.Allow("code", "retryAfterMs", "reason", "alternateEndpoints");
                new CloseFrame
                {
                    Code = (CloseCode)fields.UInt32("code", 1000),
                    RetryAfterMs = fields.UInt32("retryAfterMs", 0),
                    Reason = fields.Text("reason", string.Empty),
                    Extensions = fields.Alternates(),
                }.Write(output);
                flags = 0;
                break;
            default:
                fields.Allow("bodyHex");
                var body = Convert.FromHexString(fields.Text("bodyHex", string.Empty));
                var bytes = new byte[ProtocolConstants.HeaderSize + body.Length];
                new FrameHeader((FrameType)type, 0, body.Length).Write(bytes);
                body.CopyTo(bytes, ProtocolConstants.HeaderSize);
                output.Write(bytes);
                flags = 0;
                break;
        }

        var encoded = output.WrittenSpan.ToArray();
        encoded[1] = frame.TryGetProperty("flags", out var flagsElement) ? (byte)_variables.Number(flagsElement, "flags") : flags;
        return encoded;
    }

    private static byte EncodeHello(FrameFields fields, ArrayBufferWriter<byte> output)
    {
        fields.Allow("minVersion", "maxVersion", "heartbeatIntervalMs", "heartbeatTimeoutMs", "maxFrameSize", "session", "resume", "sessionId", "lastReceivedSeq", "clientId", "token");
        var resume = fields.Bool("resume", false);
        var session = fields.Bool("session", resume);
        var hello = new HelloFrame
        {
            MinVersion = (byte)fields.UInt32("minVersion", 1),
            MaxVersion = (byte)fields.UInt32("maxVersion", 1),
            HeartbeatIntervalMs = fields.UInt32("heartbeatIntervalMs", 0),
            HeartbeatTimeoutMs = fields.UInt32("heartbeatTimeoutMs", 0),
            MaxFrameSize = fields.UInt32("maxFrameSize", ProtocolConstants.DefaultMaxFrameSize),
            RequestSession = session,
            ResumeSessionId = fields.Session("sessionId"),
            LastReceivedSequence = fields.UInt64("lastReceivedSeq", 0),
            ClientId = fields.Text("clientId", string.Empty),
            Token = Encoding.UTF8.GetBytes(fields.Text("token", string.Empty)),
        };
        hello.Write(output);
        return (byte)((session ? HelloFlags.Session : 0) | (resume ? HelloFlags.Resume : 0));
    }

    private static byte EncodeWelcome(FrameFields fields, ArrayBufferWriter<byte> output)
    {
        fields.Allow("version", "heartbeatIntervalMs", "heartbeatTimeoutMs", "maxFrameSize", "connectionId", "session", "resumed", "sessionId", "lastReceivedSeq", "sessionResetReason", "lostCount", "serverId");
        var welcome = new WelcomeFrame
        {
            Version = (byte)fields.UInt32("version", 1),
            HeartbeatIntervalMs = fields.UInt32("heartbeatIntervalMs", 30000),
            HeartbeatTimeoutMs = fields.UInt32("heartbeatTimeoutMs", 75000),
            MaxFrameSize = fields.UInt32("maxFrameSize", ProtocolConstants.DefaultMaxFrameSize),
            ConnectionId = fields.UInt64("connectionId", 1),
            SessionActive = fields.Bool("session", false),
            Resumed = fields.Bool("resumed", false),
            SessionId = fields.Session("sessionId"),
            LastReceivedSequence = fields.UInt64("lastReceivedSeq", 0),
            SessionResetReason = (SessionResetReason)fields.UInt32("sessionResetReason", 0),
            LostCount = fields.UInt32("lostCount", 0),
            ServerId = fields.Text("serverId", "tether-conformance"),
        };
        welcome.Write(output);
        return (byte)welcome.Flags;
    }

    private static byte EncodeData(FrameFields fields, ArrayBufferWriter<byte> output)
    {
        fields.Allow("seq", "ack", "data", "dataHex", "pattern");
        var flags = (fields.Has("seq") ? DataFlags.Sequence : DataFlags.None) | (fields.Has("ack") ? DataFlags.Ack : DataFlags.None);
        byte[] payload = fields.Has("dataHex") ? Convert.FromHexString(fields.Text("dataHex", string.Empty))
            : fields.Has("pattern") ? Encoding.UTF8.GetBytes(PatternPayload.Text((int)fields.UInt32("pattern", 0)))
            : Encoding.UTF8.GetBytes(fields.Text("data", string.Empty));
        FrameWriter.WriteData(output, payload, flags, fields.UInt64("seq", 0), fields.UInt64("ack", 0));
        return (byte)flags;
    }
}
