using System.Buffers;
using System.Text.Json;

namespace Tether.Protocol.Tests.Support;

/// <summary>A vector that must decode to <see cref="Frame"/> and encode back to <see cref="Bytes"/>.</summary>
internal sealed record ValidVector(string Name, byte[] Bytes, JsonElement Frame)
{
    public string Type => Frame.GetProperty("type").GetString()!;

    public byte Flags => Frame.GetProperty("flags").GetByte();

    public JsonElement Fields => Frame.GetProperty("fields");

    /// <summary>8192 for HELLO and WELCOME (they arrive during the handshake), 1 MiB for everything else.</summary>
    public int MaxBody => Frames.MaxBodyFor(Bytes[0]);
}

/// <summary>A vector that a receiver with body limit <see cref="MaxFrameSize"/> must reject with <see cref="Error"/>.</summary>
internal sealed record InvalidVector(string Name, byte[] Bytes, int MaxFrameSize, string Error)
{
    public CloseCode ExpectedCode => Error switch
    {
        "PROTOCOL_ERROR" => CloseCode.ProtocolError,
        "FRAME_TOO_LARGE" => CloseCode.FrameTooLarge,
        _ => throw new InvalidOperationException($"vector {Name} names an unknown error {Error}"),
    };
}

/// <summary>Loads <c>docs/protocol-vectors.json</c> (copied next to the test assembly) once.</summary>
internal static class ProtocolVectors
{
    private static readonly Lazy<JsonElement> Root = new(Load);

    public static int ProtocolVersion => Root.Value.GetProperty("protocolVersion").GetInt32();

    public static IReadOnlyList<ValidVector> Valid { get; } = [.. Root.Value.GetProperty("valid").EnumerateArray().Select(vector =>
        new ValidVector(Name(vector), Hex(vector), vector.GetProperty("frame")))];

    public static IReadOnlyList<InvalidVector> Invalid { get; } = [.. Root.Value.GetProperty("invalid").EnumerateArray().Select(vector =>
        new InvalidVector(Name(vector), Hex(vector), vector.GetProperty("maxFrameSize").GetInt32(), vector.GetProperty("error").GetString()!))];

    public static ValidVector GetValid(string name) => Valid.Single(vector => vector.Name == name);

    public static InvalidVector GetInvalid(string name) => Invalid.Single(vector => vector.Name == name);

    /// <summary>Encodes the vector's fields with the library's writers (never by copying bytes from the vector).</summary>
    public static byte[] Encode(ValidVector vector) => Frames.Write(output => Encode(vector, output));

    private static void Encode(ValidVector vector, IBufferWriter<byte> output)
    {
        var f = vector.Fields;
        switch (vector.Type)
        {
            case "HELLO":
                var resume = (vector.Flags & (byte)HelloFlags.Resume) != 0;
                var sessionId = SessionId.Parse(f.GetProperty("sessionId").GetString()!);
                var lastReceived = U64(f, "lastReceivedSeq");

                // HelloFrame sets RESUME when asked to or when the session id is non-zero, and writes lastReceivedSeq only
                // with RESUME. A vector outside that shape could not be expressed, so say so.
                Assert.True(resume || sessionId.IsNone, $"{vector.Name}: HelloFrame sets RESUME whenever the session id is non-zero");
                Assert.True(resume || lastReceived == 0, $"{vector.Name}: HelloFrame writes lastReceivedSeq only with RESUME");
                var hello = new HelloFrame
                {
                    MinVersion = f.GetProperty("minVersion").GetByte(),
                    MaxVersion = f.GetProperty("maxVersion").GetByte(),
                    HeartbeatIntervalMs = f.GetProperty("heartbeatIntervalMs").GetUInt32(),
                    HeartbeatTimeoutMs = f.GetProperty("heartbeatTimeoutMs").GetUInt32(),
                    MaxFrameSize = f.GetProperty("maxFrameSize").GetUInt32(),
                    RequestSession = (vector.Flags & (byte)HelloFlags.Session) != 0,
                    IsResume = resume,
                    ResumeSessionId = sessionId,
                    LastReceivedSequence = lastReceived,
                    ClientId = f.GetProperty("clientId").GetString()!,
                    Token = HexField(f, "token"),
                    Extensions = Extensions(f),
                };
                Assert.Equal((HelloFlags)vector.Flags, hello.Flags);
                hello.Write(output);
                break;
            case "WELCOME":
                var welcome = new WelcomeFrame
                {
                    Version = f.GetProperty("version").GetByte(),
                    HeartbeatIntervalMs = f.GetProperty("heartbeatIntervalMs").GetUInt32(),
                    HeartbeatTimeoutMs = f.GetProperty("heartbeatTimeoutMs").GetUInt32(),
                    MaxFrameSize = f.GetProperty("maxFrameSize").GetUInt32(),
                    ConnectionId = U64(f, "connectionId"),
                    SessionActive = (vector.Flags & (byte)WelcomeFlags.Session) != 0,
                    Resumed = (vector.Flags & (byte)WelcomeFlags.Resumed) != 0,
                    SessionId = SessionId.Parse(f.GetProperty("sessionId").GetString()!),
                    LastReceivedSequence = U64(f, "lastReceivedSeq"),
                    SessionResetReason = (SessionResetReason)f.GetProperty("sessionResetReason").GetUInt16(),
                    LostCount = f.GetProperty("lostCount").GetUInt32(),
                    ServerId = f.GetProperty("serverId").GetString()!,
                    Extensions = Extensions(f),
                };
                Assert.Equal((WelcomeFlags)vector.Flags, welcome.Flags);
                welcome.Write(output);
                break;
            case "DATA":
                // FrameWriter.WriteData takes the flags byte itself, so every layout is expressible, data-ack-only included.
                var flags = (DataFlags)vector.Flags;
                var sequence = OptionalU64(f, "seq");
                var ack = OptionalU64(f, "ack");
                Assert.Equal(flags.HasFlag(DataFlags.Sequence), sequence is not null);
                Assert.Equal(flags.HasFlag(DataFlags.Ack), ack is not null);
                FrameWriter.WriteData(output, HexField(f, "payload"), flags, sequence ?? 0, ack ?? 0);
                break;
            case "ACK":
                FrameWriter.WriteAck(output, U64(f, "ack"));
                break;
            case "PING":
                FrameWriter.WritePing(output, U64(f, "value"));
                break;
            case "PONG":
                FrameWriter.WritePong(output, U64(f, "value"));
                break;
            case "GOAWAY":
                new GoAwayFrame
                {
                    RetryAfterMs = f.GetProperty("retryAfterMs").GetUInt32(),
                    DrainMs = f.GetProperty("drainMs").GetUInt32(),
                    Reason = f.GetProperty("reason").GetString()!,
                    Extensions = Extensions(f),
                }.Write(output);
                break;
            case "CLOSE":
                new CloseFrame
                {
                    Code = (CloseCode)f.GetProperty("code").GetUInt16(),
                    RetryAfterMs = f.GetProperty("retryAfterMs").GetUInt32(),
                    Reason = f.GetProperty("reason").GetString()!,
                    Extensions = Extensions(f),
                }.Write(output);
                break;
            case "EXTENSION":
                FrameWriter.WriteExtension(output, f.GetProperty("typeCode").GetByte(), vector.Flags, HexField(f, "body"));
                break;
            default:
                throw new InvalidOperationException($"{vector.Name}: unknown frame type {vector.Type}");
        }
    }

    private static JsonElement Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "protocol-vectors.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    private static string Name(JsonElement vector) => vector.GetProperty("name").GetString()!;

    private static byte[] Hex(JsonElement vector) => Convert.FromHexString(vector.GetProperty("hex").GetString()!);

    private static byte[] HexField(JsonElement fields, string name) => Convert.FromHexString(fields.GetProperty(name).GetString()!);

    private static ulong U64(JsonElement fields, string name) => ulong.Parse(fields.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static ulong? OptionalU64(JsonElement fields, string name) =>
        fields.GetProperty(name).ValueKind == JsonValueKind.Null ? null : U64(fields, name);

    private static ExtensionItem[] Extensions(JsonElement fields) =>
        [.. fields.GetProperty("extensions").EnumerateArray().Select(item =>
            new ExtensionItem(item.GetProperty("key").GetUInt16(), Convert.FromHexString(item.GetProperty("value").GetString()!)))];
}
