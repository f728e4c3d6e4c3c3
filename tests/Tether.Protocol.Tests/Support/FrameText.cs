using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Tether.Protocol.Tests.Support;

/// <summary>
/// Renders a frame as sorted <c>field=value</c> lines named exactly like the fields of <c>protocol-vectors.json</c>, so a
/// decoded frame, a typed frame object and a JSON vector compare line by line (and a mismatch names the field).
/// </summary>
internal static class FrameText
{
    /// <summary>Byte strings up to this length are shown as hex; longer ones as length and SHA-256.</summary>
    private const int InlineBytes = 64;

    private static readonly HashSet<string> BinaryFields = ["token", "payload", "body"];

    /// <summary>Parses the body with the typed parser for its type and describes every field.</summary>
    public static IReadOnlyList<string> Describe(in TetherFrame frame)
    {
        var flags = frame.Flags;
        switch (frame.Type)
        {
            case FrameType.Hello:
                return Hello(HelloFrame.Parse(frame), flags);
            case FrameType.Welcome:
                return Welcome(WelcomeFrame.Parse(frame), flags);
            case FrameType.Data:
                var data = DataFrame.Parse(frame);
                Assert.Equal((DataFlags)flags, data.Flags);
                return Data(flags, data.HasSequence ? data.Sequence : null, data.HasAck ? data.Ack : null, data.Payload.ToArray());
            case FrameType.Ack:
                return Lines("ACK", flags, ("ack", Number(frame.ReadUInt64Body())));
            case FrameType.Ping:
                return Lines("PING", flags, ("value", Number(frame.ReadUInt64Body())));
            case FrameType.Pong:
                return Lines("PONG", flags, ("value", Number(frame.ReadUInt64Body())));
            case FrameType.GoAway:
                return GoAway(GoAwayFrame.Parse(frame), flags);
            case FrameType.Close:
                return Close(CloseFrame.Parse(frame), flags);
            default:
                Assert.True(frame.Header.IsExtension, $"decoder returned a frame of reserved type 0x{(byte)frame.Type:x2}");
                return Extension((byte)frame.Type, flags, frame.Body.ToArray());
        }
    }

    /// <summary>One-line form of <see cref="Describe(in TetherFrame)"/>, for comparing lists of frames.</summary>
    public static string Line(in TetherFrame frame) => string.Join(" ", Describe(frame));

    public static IReadOnlyList<string> Describe(HelloFrame hello) => Hello(hello, (byte)hello.Flags);

    public static IReadOnlyList<string> Describe(WelcomeFrame welcome) => Welcome(welcome, (byte)welcome.Flags);

    public static IReadOnlyList<string> Describe(GoAwayFrame goAway) => GoAway(goAway, 0);

    public static IReadOnlyList<string> Describe(CloseFrame close) => Close(close, 0);

    public static IReadOnlyList<string> Data(byte flags, ulong? sequence, ulong? ack, ReadOnlySpan<byte> payload) =>
        Lines("DATA", flags, ("seq", Optional(sequence)), ("ack", Optional(ack)), ("payload", Bytes(payload)));

    public static IReadOnlyList<string> UInt64Frame(FrameType type, ulong value) => type switch
    {
        FrameType.Ack => Lines("ACK", 0, ("ack", Number(value))),
        FrameType.Ping => Lines("PING", 0, ("value", Number(value))),
        FrameType.Pong => Lines("PONG", 0, ("value", Number(value))),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static IReadOnlyList<string> Extension(byte type, byte flags, ReadOnlySpan<byte> body) =>
        Lines("EXTENSION", flags, ("typeCode", Number(type)), ("body", Bytes(body)));

    /// <summary>Describes the <c>frame</c> object of a valid vector.</summary>
    public static IReadOnlyList<string> FromVector(JsonElement frame)
    {
        var fields = frame.GetProperty("fields").EnumerateObject().Select(field => (field.Name, FromJson(field.Name, field.Value)));
        return Lines(frame.GetProperty("type").GetString()!, frame.GetProperty("flags").GetByte(), [.. fields]);
    }

    /// <summary>Hex for short byte strings; length and SHA-256 for long ones (keeps failure messages readable).</summary>
    public static string Bytes(ReadOnlySpan<byte> bytes) => bytes.Length <= InlineBytes
        ? Convert.ToHexStringLower(bytes)
        : $"<{bytes.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}>";

    private static string[] Hello(HelloFrame hello, byte flags) => Lines(
        "HELLO",
        flags,
        ("minVersion", Number(hello.MinVersion)),
        ("maxVersion", Number(hello.MaxVersion)),
        ("heartbeatIntervalMs", Number(hello.HeartbeatIntervalMs)),
        ("heartbeatTimeoutMs", Number(hello.HeartbeatTimeoutMs)),
        ("maxFrameSize", Number(hello.MaxFrameSize)),
        ("sessionId", hello.ResumeSessionId.ToString()),
        ("lastReceivedSeq", Number(hello.IsResume ? hello.LastReceivedSequence : 0)),
        ("clientId", hello.ClientId),
        ("token", Bytes(hello.Token.Span)),
        ("extensions", Extensions(hello.Extensions)));

    private static string[] Welcome(WelcomeFrame welcome, byte flags) => Lines(
        "WELCOME",
        flags,
        ("version", Number(welcome.Version)),
        ("heartbeatIntervalMs", Number(welcome.HeartbeatIntervalMs)),
        ("heartbeatTimeoutMs", Number(welcome.HeartbeatTimeoutMs)),
        ("maxFrameSize", Number(welcome.MaxFrameSize)),
        ("connectionId", Number(welcome.ConnectionId)),
        ("sessionId", welcome.SessionId.ToString()),
        ("lastReceivedSeq", Number(welcome.LastReceivedSequence)),
        ("sessionResetReason", Number((ushort)welcome.SessionResetReason)),
        ("lostCount", Number(welcome.LostCount)),
        ("serverId", welcome.ServerId),
        ("extensions", Extensions(welcome.Extensions)));

    private static string[] GoAway(GoAwayFrame goAway, byte flags) => Lines(
        "GOAWAY",
        flags,
        ("retryAfterMs", Number(goAway.RetryAfterMs)),
        ("drainMs", Number(goAway.DrainMs)),
        ("reason", goAway.Reason),
        ("extensions", Extensions(goAway.Extensions)));

    private static string[] Close(CloseFrame close, byte flags) => Lines(
        "CLOSE",
        flags,
        ("code", Number((ushort)close.Code)),
        ("retryAfterMs", Number(close.RetryAfterMs)),
        ("reason", close.Reason),
        ("extensions", Extensions(close.Extensions)));

    private static string[] Lines(string type, byte flags, params (string Name, string Value)[] fields) =>
        [.. fields.Select(field => $"{field.Name}={field.Value}").Append($"type={type}").Append($"flags={Number(flags)}").Order(StringComparer.Ordinal)];

    private static string FromJson(string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Number => Number(value.GetUInt64()),
        JsonValueKind.String when BinaryFields.Contains(name) => Bytes(Convert.FromHexString(value.GetString()!)),
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array => ExtensionsText(value.EnumerateArray().Select(item =>
            (item.GetProperty("key").GetUInt16(), Convert.FromHexString(item.GetProperty("value").GetString()!)))),
        _ => throw new InvalidOperationException($"unexpected JSON {value.ValueKind} in field {name}"),
    };

    /// <summary>The value of the <c>extensions</c> line.</summary>
    public static string Extensions(IEnumerable<ExtensionItem> items) =>
        ExtensionsText(items.Select(item => (item.Key, item.Value.ToArray())));

    private static string ExtensionsText(IEnumerable<(ushort Key, byte[] Value)> items) =>
        "[" + string.Join(";", items.Select(item => $"{Number(item.Key)}:{Bytes(item.Value)}")) + "]";

    private static string Optional(ulong? value) => value is { } number ? Number(number) : "null";

    private static string Number<T>(T value)
        where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
