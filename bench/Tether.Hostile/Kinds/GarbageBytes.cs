using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>
/// Random bytes for a garbage peer, with the close codes the spec allows for them. Half are plain noise (whose length
/// field is almost always huge); in the other half the first length field is cut down to what follows, so that the
/// server has a whole frame to judge and the type, flag and body rules get their turn too.
/// </summary>
internal static class GarbageBytes
{
    private const int MaxLength = 256;
    private const int MaxDraws = 10_000;

    public static (byte[] Bytes, IReadOnlySet<CloseCode> Expected) BeforeHandshake(Random random) =>
        Draw(random, static bytes => GarbageOracle.BeforeHandshake(bytes));

    public static (byte[] Bytes, IReadOnlySet<CloseCode> Expected) AfterHandshake(Random random, uint maxFrameSize) =>
        Draw(random, bytes => GarbageOracle.AfterHandshake(bytes, maxFrameSize));

    private static (byte[] Bytes, IReadOnlySet<CloseCode> Expected) Draw(Random random, Func<byte[], IReadOnlySet<CloseCode>?> oracle)
    {
        for (var draw = 0; draw < MaxDraws; draw++)
        {
            var bytes = new byte[random.Next(ProtocolConstants.HeaderSize, MaxLength + 1)];
            random.NextBytes(bytes);
            if (random.Next(2) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), (uint)random.Next(bytes.Length - ProtocolConstants.HeaderSize + 1));
            }

            if (oracle(bytes) is { } expected)
            {
                return (bytes, expected);
            }
        }

        throw new InvalidOperationException($"no garbage with an outcome the spec settles in {MaxDraws} draws");
    }
}
