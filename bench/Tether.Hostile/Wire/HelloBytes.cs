using System.Buffers;
using Tether.Protocol;

namespace Tether.Hostile.Wire;

/// <summary>Encoded HELLO frames for the raw peers (no session: the garbage oracle then knows which DATA is legal).</summary>
internal static class HelloBytes
{
    /// <summary>An anonymous HELLO without a session, valid in every respect.</summary>
    public static ReadOnlyMemory<byte> Anonymous { get; } = Encode(new HelloFrame());

    /// <summary>A HELLO whose header claims the largest handshake body, so that trickling its bytes never completes it.</summary>
    public static ReadOnlyMemory<byte> EndlessHeader { get; } = new byte[] { (byte)FrameType.Hello, 0, 0, 0, 0x20, 0x00 };

    private static byte[] Encode(HelloFrame hello)
    {
        var writer = new ArrayBufferWriter<byte>();
        hello.Write(writer);
        return writer.WrittenSpan.ToArray();
    }
}
