using System.Text;

namespace Tether.Fuzz.Engine;

/// <summary>Random field values with the edge cases decoders get wrong made common.</summary>
internal static class RandomValues
{
    // Line endings, zero, all-ones and the sign bit: the bytes framings and length fields look at.
    private static readonly byte[] InterestingBytes = [0x00, 0xFF, (byte)'\r', (byte)'\n', 0x7F, 0x80, 0x01];

    // One-, two-, three- and four-byte UTF-8 (the last a surrogate pair in UTF-16).
    private static readonly string[] TextPieces = ["a", "Z", " ", "é", "€", "𝄞", "\n"];

    /// <summary>A byte, one of the interesting ones about a third of the time.</summary>
    public static byte Byte(Random random) =>
        random.Next(3) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);

    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Byte(random);
        }

        return bytes;
    }

    /// <summary>A length from 0 to <paramref name="max"/>, mostly short so that a stream holds many messages.</summary>
    public static int Length(Random random, int max) =>
        Math.Max(0, random.Next(4) == 0 ? random.Next(max + 1) : random.Next(Math.Min(max, 16) + 1));

    public static uint UInt32(Random random) => random.Next(4) switch
    {
        0 => new[] { 0u, 1u, uint.MaxValue, int.MaxValue + 1u }[random.Next(4)],
        _ => (uint)random.NextInt64(uint.MaxValue + 1L),
    };

    public static ulong UInt64(Random random) => random.Next(4) switch
    {
        0 => new[] { 0ul, 1ul, ulong.MaxValue, long.MaxValue + 1ul }[random.Next(4)],
        _ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40),
    };

    /// <summary>Text of at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static string Text(Random random, int maxBytes)
    {
        var text = new StringBuilder();
        var length = Length(random, maxBytes);
        while (true)
        {
            var piece = TextPieces[random.Next(TextPieces.Length)];
            if (Encoding.UTF8.GetByteCount(text.ToString()) + Encoding.UTF8.GetByteCount(piece) > length)
            {
                return text.ToString();
            }

            text.Append(piece);
        }
    }
}
