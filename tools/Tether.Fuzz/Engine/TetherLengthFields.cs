using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>Finds the length fields of one encoded Tether frame: the header's body length and the u16 lengths inside.</summary>
internal static class TetherLengthFields
{
    /// <summary>The fields of the valid frame at <paramref name="start"/> in <paramref name="stream"/>.</summary>
    public static IEnumerable<LengthField> Of(ReadOnlySpan<byte> stream, int start, int maxBody)
    {
        var fields = new List<LengthField> { new(start + 2, 4, maxBody) };
        var body = start + ProtocolConstants.HeaderSize;
        var end = body + (int)BinaryPrimitives.ReadUInt32BigEndian(stream[(start + 2)..]);

        // The offsets of the first variable field, after the fixed fields (protocol section 5).
        var (first, lengths) = (FrameType)stream[start] switch
        {
            FrameType.Hello => (42, new[] { ProtocolConstants.MaxIdBytes, ProtocolConstants.MaxTokenBytes }),
            FrameType.Welcome => (51, new[] { ProtocolConstants.MaxIdBytes }),
            FrameType.Close => (6, new[] { (int)ushort.MaxValue }),
            FrameType.GoAway => (8, new[] { (int)ushort.MaxValue }),
            _ => (-1, []),
        };
        if (first < 0)
        {
            return fields;
        }

        var at = body + first;
        foreach (var limit in lengths)
        {
            fields.Add(new LengthField(at, 2, limit));
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(stream[at..]);
        }

        // TLV extension items (key, length, value) fill the rest of the body.
        while (at < end)
        {
            fields.Add(new LengthField(at + 2, 2, ushort.MaxValue));
            at += 4 + BinaryPrimitives.ReadUInt16BigEndian(stream[(at + 2)..]);
        }

        return fields;
    }
}
