using System.Buffers;
using Tether.Protocol;

namespace Tether.Benchmarks;

/// <summary>Deterministic test data shared by the benchmarks.</summary>
internal static class Payloads
{
    /// <summary>A payload of <paramref name="length"/> bytes with a fixed, non-trivial pattern.</summary>
    public static byte[] Create(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)((i * 31) + 7);
        }

        return payload;
    }

    /// <summary><paramref name="count"/> plain DATA frames of <paramref name="payloadLength"/> bytes, back to back.</summary>
    public static byte[] DataFrames(int count, int payloadLength)
    {
        var payload = Create(payloadLength);
        var writer = new ArrayBufferWriter<byte>(count * FrameWriter.DataLength(payloadLength));
        for (var i = 0; i < count; i++)
        {
            FrameWriter.WriteData(writer, payload);
        }

        return writer.WrittenSpan.ToArray();
    }
}
