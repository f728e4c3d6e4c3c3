using System.Buffers;

namespace Tether.Protocol;

/// <summary>The GOAWAY frame: the server is shutting down; come back after <see cref="RetryAfterMs"/>.</summary>
public sealed record GoAwayFrame
{
    /// <summary>The earliest the client should reconnect, in milliseconds (already jittered by the server).</summary>
    public uint RetryAfterMs { get; init; }

    /// <summary>How long the server keeps the connection open before closing it, in milliseconds.</summary>
    public uint DrainMs { get; init; }

    /// <summary>Human-readable reason.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>TLV extension items (e.g. <see cref="ProtocolConstants.AlternateEndpointExtension"/>).</summary>
    public IReadOnlyList<ExtensionItem> Extensions { get; init; } = [];

    /// <summary>Parses and validates the body of a GOAWAY frame.</summary>
    public static GoAwayFrame Parse(in TetherFrame frame)
    {
        HelloFrame.RequireType(frame, FrameType.GoAway);
        var reader = new WireReader(frame.Body);
        return new GoAwayFrame
        {
            RetryAfterMs = reader.ReadUInt32(),
            DrainMs = reader.ReadUInt32(),
            Reason = reader.ReadString(ushort.MaxValue, "reason"),
            Extensions = reader.ReadExtensions(),
        };
    }

    /// <summary>Writes the whole frame, header included.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var reasonLength = WireWriter.Utf8Length(Reason, ProtocolConstants.MaxReasonBytes);
        var bodyLength = 10 + reasonLength + WireWriter.ExtensionsLength(Extensions);
        var total = ProtocolConstants.HeaderSize + bodyLength;
        var writer = new WireWriter(output.GetSpan(total));
        writer.WriteHeader(FrameType.GoAway, 0, bodyLength);
        writer.WriteUInt32(RetryAfterMs);
        writer.WriteUInt32(DrainMs);
        writer.WriteString16(Reason, reasonLength);
        writer.WriteExtensions(Extensions);
        output.Advance(total);
    }
}
