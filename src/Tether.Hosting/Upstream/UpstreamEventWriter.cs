using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Tether.Server;

namespace Tether.Hosting.Upstream;

/// <summary>
/// Writes the events of the upstream contract (docs/operations.md) as JSON objects: <c>message</c>, <c>connect</c> and
/// <c>disconnect</c>, each with the connection's facts, and a batch as <c>{"batchId": ..., "events": [...]}</c>.
/// </summary>
internal static class UpstreamEventWriter
{
    // Not for HTML: the body goes to a program, so non-ASCII text stays as UTF-8 rather than \u escapes.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Message(TetherConnection connection, ReadOnlySequence<byte> payload, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + ((int)payload.Length * 4 / 3));
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            Start(json, "message", connection, now);
            if (connection.Session is { } session)
            {
                // The sequence of the message being handled: the session counts it before the handler sees it.
                json.WriteNumber("seq", session.LastReceivedSequence);
            }

            WritePayload(json, payload);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Connect(TetherConnection connection, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            Start(json, "connect", connection, now);
            json.WriteString("remoteAddress", connection.RemoteEndPoint?.ToString());
            if (connection.Session is not null)
            {
                json.WriteBoolean("resumed", connection.SessionResumed);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Disconnect(TetherConnection connection, DisconnectInfo info, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            Start(json, "disconnect", connection, now);
            json.WriteString("reason", info.ReasonName);
            if (info.Code is { } code)
            {
                json.WriteNumber("closeCode", (ushort)code);
            }

            json.WriteString("description", info.Description);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The request body of a batch: the events' JSON objects, in queue order, in one array.</summary>
    public static byte[] Batch(string batchId, IReadOnlyList<UpstreamEvent> events)
    {
        var size = 40 + batchId.Length;
        foreach (var item in events)
        {
            size += item.Size + 1;
        }

        var body = new byte[size];
        var written = 0;
        Append(body, ref written, "{\"batchId\":\""u8);
        written += System.Text.Encoding.ASCII.GetBytes(batchId, body.AsSpan(written));
        Append(body, ref written, "\",\"events\":["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body[written++] = (byte)',';
            }

            Append(body, ref written, events[i].Json);
        }

        Append(body, ref written, "]}"u8);
        return body.AsSpan(0, written).ToArray();
    }

    private static void Start(Utf8JsonWriter json, string type, TetherConnection connection, DateTimeOffset now)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("clientId", connection.ClientId);
        json.WriteNumber("connectionId", connection.Id);
        if (connection.Session is { } session)
        {
            json.WriteString("sessionId", session.Id.ToString());
        }

        json.WriteString("time", now);
    }

    private static void WritePayload(Utf8JsonWriter json, ReadOnlySequence<byte> payload)
    {
        var bytes = payload.IsSingleSegment ? payload.FirstSpan : (ReadOnlySpan<byte>)payload.ToArray();
        if (Utf8.IsValid(bytes))
        {
            json.WriteString("data", bytes);
        }
        else
        {
            json.WriteBase64String("base64", bytes);
        }
    }

    private static void Append(byte[] body, ref int written, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(body.AsSpan(written));
        written += bytes.Length;
    }
}
