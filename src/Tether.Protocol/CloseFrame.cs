using System.Buffers;

namespace Tether.Protocol;

/// <summary>The CLOSE frame: the last frame a side sends, with a code, an optional retry hint and a reason.</summary>
public sealed record CloseFrame
{
    /// <summary>Why the connection closes.</summary>
    public CloseCode Code { get; init; } = CloseCode.Normal;

    /// <summary>Earliest reconnect in milliseconds; 0 for no hint.</summary>
    public uint RetryAfterMs { get; init; }

    /// <summary>Human-readable reason.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>TLV extension items.</summary>
    public IReadOnlyList<ExtensionItem> Extensions { get; init; } = [];

    /// <summary>Parses and validates the body of a CLOSE frame.</summary>
    public static CloseFrame Parse(in TetherFrame frame)
    {
        HelloFrame.RequireType(frame, FrameType.Close);
        var reader = new WireReader(frame.Body);
        return new CloseFrame
        {
            Code = (CloseCode)reader.ReadUInt16(),
            RetryAfterMs = reader.ReadUInt32(),
            Reason = reader.ReadString(ushort.MaxValue, "reason"),
            Extensions = reader.ReadExtensions(),
        };
    }

    /// <summary>Writes the whole frame, header included.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var reasonLength = WireWriter.Utf8Length(Reason, ProtocolConstants.MaxReasonBytes);
        var bodyLength = 8 + reasonLength + WireWriter.ExtensionsLength(Extensions);
        var total = ProtocolConstants.HeaderSize + bodyLength;
        var writer = new WireWriter(output.GetSpan(total));
        writer.WriteHeader(FrameType.Close, 0, bodyLength);
        writer.WriteUInt16((ushort)Code);
        writer.WriteUInt32(RetryAfterMs);
        writer.WriteString16(Reason, reasonLength);
        writer.WriteExtensions(Extensions);
        output.Advance(total);
    }
}
